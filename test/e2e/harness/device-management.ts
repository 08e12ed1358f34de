import { randomBytes } from 'node:crypto';
import { serviceAccountOfReplica } from '../../../services/broker/src';
import { serviceTls, type TlsFiles } from './pki';
import { ManagedProcess } from './child-process';
import { eventually, freePort } from './free-port';
import { builtScript } from './paths';

/** HS256 key the service verifies admin tokens with; test-only, never a real secret. */
export const E2E_JWT_SECRET = `e2e-only-${randomBytes(16).toString('hex')}`;

/** Where the service finds its broker: a BrokerUnderTest, or any broker URL (benchmarks). */
export interface MqttEndpoint {
  url: string;
  protocolVersion: 4 | 5;
  /**
   * A broker with client certificates: the service then connects with the certificate of its
   * replica's own service account (serviceAccountOfReplica). Without it, with none.
   */
  serviceTls?: TlsFiles;
}

export interface ServiceOptions {
  name?: string;
  databaseUrl: string;
  broker: MqttEndpoint;
  logDir: string;
  /** MQTT 5 shared-subscription group, for several replicas. */
  sharedGroup?: string;
  /** Which replica this is (1, 2, ...): it names the replica's service account. Default 1. */
  replica?: number;
  extraEnv?: Record<string, string>;
  /** Options for node itself (a benchmark's --cpu-prof). */
  nodeArgs?: string[];
  /** How long it may take to be healthy (default 30 s; a loaded machine needs more). */
  startTimeoutMs?: number;
}

/**
 * The device-management service from dist/ in its own process, on a port of its own, against
 * the test's database and broker.
 */
export class ServiceUnderTest {
  private constructor(
    readonly process: ManagedProcess,
    readonly baseUrl: string,
  ) {}

  static async start(options: ServiceOptions): Promise<ServiceUnderTest> {
    const port = await freePort();
    const name = options.name ?? 'device-management';
    const { broker } = options;
    const tls =
      broker.serviceTls && (await serviceTls(serviceAccountOfReplica(options.replica ?? 1)));
    const child = new ManagedProcess({
      name,
      command: 'node',
      args: [...(options.nodeArgs ?? []), builtScript('services/device-management/src/main.js')],
      env: {
        NODE_ENV: 'production',
        DATABASE_URL: options.databaseUrl,
        DATABASE_POOL_MAX: '5',
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: String(port),
        JWT_SECRET: E2E_JWT_SECRET,
        MQTT_URL: broker.url,
        MQTT_PROTOCOL: broker.protocolVersion === 5 ? '5' : '3.1.1',
        MQTT_CLIENT_ID: `${name}-${randomBytes(4).toString('hex')}`,
        ...(tls && {
          MQTT_CA_FILE: tls.caFile,
          MQTT_CERT_FILE: tls.certFile,
          MQTT_KEY_FILE: tls.keyFile,
        }),
        MQTT_SHARED_GROUP: options.sharedGroup ?? '',
        DISPATCH_MAX_BACKOFF_SECONDS: '2',
        LOG_LEVEL: 'info',
        ...options.extraEnv,
      },
      logDir: options.logDir,
    });
    const service = new ServiceUnderTest(child, `http://127.0.0.1:${port}`);
    await service.startAndWait(options.startTimeoutMs);
    return service;
  }

  /** Starts (again) and waits until /health says the database and the broker are up. */
  async startAndWait(timeoutMs = 30_000): Promise<void> {
    this.process.start();
    await eventually(
      `${this.process.name} healthy at ${this.baseUrl}/health`,
      async () => {
        if (!this.process.running) throw new Error(`${this.process.name} exited`);
        const response = await fetch(`${this.baseUrl}/health`, {
          signal: AbortSignal.timeout(2_000),
        });
        const body = (await response.json()) as { checks?: { broker?: { status?: string } } };
        return response.ok && body.checks?.broker?.status === 'up' ? true : undefined;
      },
      { timeoutMs, intervalMs: 150 },
    );
  }

  async restartAfterKill(timeoutMs?: number): Promise<void> {
    await this.process.kill9();
    await this.startAndWait(timeoutMs);
  }

  async close(): Promise<void> {
    await this.process.stop(10_000);
    await this.process.closeLog();
  }
}

/**
 * `count` replicas of the service on one database and broker, started together (replica n
 * connects with service account n). With more than one they share the status
 * reports through an MQTT 5 shared subscription (a 3.1.1 broker would give each every report).
 */
export async function startReplicas(
  count: number,
  options: Omit<ServiceOptions, 'name' | 'replica' | 'sharedGroup'>,
): Promise<ServiceUnderTest[]> {
  const sharedGroup = count > 1 ? `replicas-${randomBytes(4).toString('hex')}` : undefined;
  const started = await Promise.allSettled(
    Array.from({ length: count }, (_, i) =>
      ServiceUnderTest.start({
        ...options,
        name: `device-management-${i + 1}`,
        replica: i + 1,
        sharedGroup,
      }),
    ),
  );
  const services = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await Promise.all(services.map((service) => service.close().catch(() => undefined)));
    throw failed.reason;
  }
  return services;
}
