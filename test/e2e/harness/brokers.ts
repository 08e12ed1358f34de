import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync, chmodSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ManagedProcess } from './child-process';
import { freePort, waitForPort } from './free-port';
import { builtScript, REPO_ROOT } from './paths';
import { SERVICE_ACCOUNT_SLOTS, serviceAccountOfReplica } from '../../../services/broker/src';
import { serviceTls, type TlsFiles } from './pki';

export type BrokerKind = 'aedes' | 'mosquitto';

/**
 * A real broker in its own process with the production policy: TLS, client certificates
 * (the CN names the identity), tenant/client ACLs. `restart` kills it with -9 and starts it
 * again on the same port, as a crash and a supervisor's restart would.
 */
export interface BrokerUnderTest {
  readonly kind: BrokerKind;
  /** mqtts://127.0.0.1:<port> */
  readonly url: string;
  /** What the service and the agents speak: aedes is MQTT 3.1.1, Mosquitto MQTT 5. */
  readonly protocolVersion: 4 | 5;
  readonly process: ManagedProcess;
  /**
   * A service account for the test itself (listening or publishing as the service would),
   * apart from the service replicas' own: one identity holds one session on Mosquitto.
   */
  readonly serviceTls: TlsFiles;
  restart(): Promise<void>;
  close(): Promise<void>;
}

const START_TIMEOUT_MS = 15_000;

/** The tests' own service account (the replicas use opcfleet-service, -2, ...). */
const TEST_SERVICE_ACCOUNT = serviceAccountOfReplica(SERVICE_ACCOUNT_SLOTS);

/** services/broker (aedes) from dist/, TLS only, on an ephemeral port. */
export async function startAedesBroker(logDir: string): Promise<BrokerUnderTest> {
  const tls = await serviceTls(TEST_SERVICE_ACCOUNT);
  const port = await freePort();
  const pki = (file: string) => join(tls.caFile, '..', file);
  const child = new ManagedProcess({
    name: 'broker-aedes',
    command: 'node',
    args: [builtScript('services/broker/src/main.js')],
    env: {
      BROKER_HOST: '127.0.0.1',
      BROKER_PORT: 'off',
      BROKER_TLS_PORT: String(port),
      BROKER_TLS_CERT: pki('broker.crt'),
      BROKER_TLS_KEY: pki('broker.key'),
      BROKER_TLS_CA: tls.caFile,
      LOG_LEVEL: 'info',
    },
    logDir,
  });
  return brokerProcess('aedes', 4, port, tls, child);
}

/**
 * Mosquitto with infra/mosquitto/secure.conf and secure.acl (the same files as production),
 * moved to an ephemeral port, run from its own directory holding copies of the certificates.
 */
export async function startMosquittoBroker(logDir: string): Promise<BrokerUnderTest> {
  const tls = await serviceTls(TEST_SERVICE_ACCOUNT);
  const port = await freePort();
  const runDir = join(logDir, `mosquitto-${port}`);
  mkdirSync(join(runDir, 'tls'), { recursive: true });
  const pki = (file: string) => join(tls.caFile, '..', file);
  copyFileSync(tls.caFile, join(runDir, 'tls/ca.crt'));
  copyFileSync(pki('broker.crt'), join(runDir, 'tls/broker.crt'));
  copyFileSync(pki('broker.key'), join(runDir, 'tls/broker.key'));
  chmodSync(join(runDir, 'tls/broker.key'), 0o600);
  copyFileSync(join(REPO_ROOT, 'infra/mosquitto/secure.acl'), join(runDir, 'secure.acl'));
  const conf = readFileSync(join(REPO_ROOT, 'infra/mosquitto/secure.conf'), 'utf8').replace(
    /^listener 8883 127\.0\.0\.1$/m,
    `listener ${port} 127.0.0.1`,
  );
  if (!conf.includes(`listener ${port} `)) {
    throw new Error('infra/mosquitto/secure.conf no longer has "listener 8883 127.0.0.1"');
  }
  writeFileSync(join(runDir, 'secure.conf'), conf);
  // Started as root, Mosquitto drops to the `mosquitto` user, which must read its copies.
  if (process.getuid?.() === 0) {
    try {
      execFileSync('chown', ['-R', 'mosquitto', runDir], { stdio: 'ignore' });
    } catch {
      // No such user: Mosquitto keeps running as root and reads the files anyway.
    }
  }
  const child = new ManagedProcess({
    name: 'broker-mosquitto',
    command: 'mosquitto',
    args: ['-c', join(runDir, 'secure.conf')],
    env: {},
    logDir,
    cwd: runDir,
  });
  const broker = await brokerProcess('mosquitto', 5, port, tls, child);
  return {
    ...broker,
    async close() {
      await broker.close();
      rmSync(runDir, { recursive: true, force: true });
    },
  };
}

async function brokerProcess(
  kind: BrokerKind,
  protocolVersion: 4 | 5,
  port: number,
  tls: TlsFiles,
  child: ManagedProcess,
): Promise<BrokerUnderTest> {
  const start = async () => {
    child.start();
    await waitForPort(port, START_TIMEOUT_MS);
  };
  await start();
  return {
    kind,
    url: `mqtts://127.0.0.1:${port}`,
    protocolVersion,
    process: child,
    serviceTls: tls,
    async restart() {
      await child.kill9();
      await start();
    },
    async close() {
      await child.stop(5_000);
      await child.closeLog();
    },
  };
}

export const BROKERS: ReadonlyArray<[BrokerKind, (logDir: string) => Promise<BrokerUnderTest>]> = [
  ['aedes', startAedesBroker],
  ['mosquitto', startMosquittoBroker],
];
