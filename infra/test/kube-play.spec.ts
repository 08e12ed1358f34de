import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SimulatedDevice } from '../../test/e2e/harness/simulated-device';
import { ApiClient } from '../../test/e2e/harness/api-client';
import { eventually } from '../../test/e2e/harness/free-port';
import { K8S_DIR, manifestObjects, type K8sObject } from './support/k8s-objects';
import {
  containerLogs,
  containerState,
  playPod,
  podFromTemplate,
  podman,
  removePods,
  removeStalePods,
  type PodInputs,
} from './support/kube-play';

/**
 * The pod templates of infra/k8s, played with `podman kube play` on the images `npm run images`
 * built (infra/images): PostgreSQL, Mosquitto with the production policy, the migration Job and
 * one replica of the service. /health must answer 200, and an update job must go through to a
 * simulated device that holds a device certificate.
 */
jest.setTimeout(300_000);

const ROOT = join(__dirname, '../..');
const REGISTRY = process.env.TEST_REGISTRY ?? '127.0.0.1:5000';
const VERSION = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version as string;
/** The manifests' images -> the ones infra/images/build-images.sh builds (its tags). */
const IMAGES: Record<string, string> = {
  'opcfleet/device-management': `${REGISTRY}/opcfleet/device-management:${VERSION}`,
  'docker.io/library/postgres:16': `${REGISTRY}/opcfleet/postgres:15`,
  'docker.io/library/eclipse-mosquitto:2.0': `${REGISTRY}/opcfleet/mosquitto:2.0.11`,
};
const TENANT = 'kube-play';
const CLIENT = 'press-1';
const DEADLINE_MS = { postgres: 60_000, mosquitto: 30_000, migrate: 120_000, health: 120_000 };

const objects = manifestObjects().map(({ object }) => object);
const find = (kind: string, name: string): K8sObject => {
  const found = objects.find((object) => object.kind === kind && object.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in infra/k8s`);
  return found;
};

/** KEY=value lines of secrets/*.env.example, CHANGE-ME replaced by `password`. */
function envExample(file: string, password: string): Record<string, string> {
  return Object.fromEntries(
    readFileSync(join(K8S_DIR, 'secrets', file), 'utf8')
      .split('\n')
      .filter((line) => /^[A-Z_]+=/.test(line))
      .map((line) => {
        const at = line.indexOf('=');
        return [line.slice(0, at), line.slice(at + 1).replace('CHANGE-ME', password)];
      }),
  );
}

const runFile = promisify(execFile);
const PREFIX = 'opcfleet-kube-play';
const run = `${PREFIX}-${process.pid}`;
const work = mkdtempSync(join(tmpdir(), 'opcfleet-kube-play-'));
const pkiFile = (file: string) => join(work, 'pki', file);
const pki = (file: string) => readFileSync(pkiFile(file), 'utf8');
const pods = {
  postgres: `${run}-postgres`,
  mosquitto: `${run}-mosquitto`,
  migrate: `${run}-migrate`,
  service: `${run}-device-management-0`,
};
/** podman kube play names a pod's containers <pod>-<container>. */
const containers = {
  postgres: `${pods.postgres}-postgres`,
  mosquitto: `${pods.mosquitto}-mosquitto`,
  migrate: `${pods.migrate}-migrate`,
  service: `${pods.service}-device-management`,
};
const jwtSecret = randomBytes(32).toString('hex');
const serviceConfig = find('ConfigMap', 'device-management-config').data!;
let addresses: Record<'postgres' | 'mosquitto' | 'service', string>;
let healthAfterMs: number;
const devices: SimulatedDevice[] = [];

/** What went wrong, with the last lines of every container's log. */
async function withLogs(error: unknown): Promise<Error> {
  const logs = await Promise.all(
    Object.values(containers).map(async (name) => {
      const lines = await containerLogs(name);
      return lines === undefined ? '' : `\n--- ${name}\n${lines}`;
    }),
  );
  return new Error(`${(error as Error).message}${logs.join('')}`);
}

const tcpOpen = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect(port, host);
    socket.setTimeout(2_000, () => socket.destroy());
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('close', () => resolve(false));
  });

/** The id of each image to run, as built here. */
const imageIds: Record<string, string> = {};

beforeAll(async () => {
  await removeStalePods(PREFIX);
  for (const image of Object.values(IMAGES)) {
    imageIds[image] = await podman('image', 'inspect', '--format', '{{.Id}}', image).then(
      (id) => id.trim(),
      () => {
        throw new Error(
          `no image ${image} here: run npm run images (infra/images/build-images.sh)`,
        );
      },
    );
  }
  // The development PKI, with the broker's certificate naming the Service the pods dial.
  const pkiEnv = {
    ...process.env,
    PKI_OUT_DIR: join(work, 'pki'),
    PKI_BROKER_SANS: 'DNS:mosquitto',
  };
  const script = join(ROOT, 'infra/pki/make-dev-pki.sh');
  await runFile('bash', [script], { env: pkiEnv });
  await runFile('bash', [script, 'client', TENANT, CLIENT], { env: pkiEnv });

  const password = randomBytes(16).toString('hex');
  // Test values for the Secrets (kustomization.yaml's secretGenerator) and the identity
  // provider: the service verifies development tokens (JWT_SECRET) instead of a JWKS.
  const { JWT_JWKS_URL, OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_SCOPES, ...config } = serviceConfig;
  void [JWT_JWKS_URL, OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_SCOPES];
  const data: PodInputs['data'] = {
    'device-management-config': config,
    'device-management-env': {
      ...envExample('device-management.env.example', password),
      JWT_SECRET: jwtSecret,
    },
    'device-management-mqtt-tls': {
      'ca.crt': pki('ca.crt'),
      'device-management-0.crt': pki('service.crt'),
      'device-management-0.key': pki('service.key'),
    },
    'postgres-env': envExample('postgres.env.example', password),
    'mosquitto-config': find('ConfigMap', 'mosquitto-config').data!,
    'mosquitto-tls': {
      'ca.crt': pki('ca.crt'),
      'broker.crt': pki('broker.crt'),
      'broker.key': pki('broker.key'),
    },
  };
  const inputs = (clusterName: string, podName: string, hosts?: Record<string, string>) => ({
    clusterName,
    podName,
    images: IMAGES,
    data,
    volumeRoot: join(work, 'volumes', clusterName),
    hosts,
  });

  try {
    const [postgres, mosquitto] = await Promise.all([
      playPod(
        podFromTemplate(find('StatefulSet', 'postgres'), inputs('postgres-0', pods.postgres)),
        work,
      ),
      playPod(
        podFromTemplate(find('Deployment', 'mosquitto'), inputs('mosquitto', pods.mosquitto)),
        work,
      ),
    ]);
    // Ready as their own readiness probes say: pg_isready in the pod, TCP on 8883.
    const pgReady = find('StatefulSet', 'postgres').spec.template.spec.containers[0].readinessProbe
      .exec.command as string[];
    await eventually(
      'PostgreSQL ready (its readiness probe)',
      () =>
        podman('exec', containers.postgres, ...pgReady).then(
          () => true,
          () => undefined,
        ),
      { timeoutMs: DEADLINE_MS.postgres, intervalMs: 500 },
    );
    await eventually(
      'Mosquitto listening on 8883',
      async () => (await tcpOpen(mosquitto, 8883)) || undefined,
      { timeoutMs: DEADLINE_MS.mosquitto, intervalMs: 250 },
    );

    // The migration Job's pod, to its end; then one replica of the StatefulSet.
    await playPod(
      podFromTemplate(
        find('Job', 'device-management-migrate'),
        inputs('device-management-migrate', pods.migrate, { postgres }),
      ),
      work,
    );
    const migrated = await eventually(
      'the migration Job to finish',
      async () => {
        const state = await containerState(containers.migrate);
        return state.status === 'exited' ? state : undefined;
      },
      { timeoutMs: DEADLINE_MS.migrate, intervalMs: 500 },
    );
    if (migrated.exitCode !== 0) throw new Error(`the migration exited ${migrated.exitCode}`);

    const started = Date.now();
    const service = await playPod(
      podFromTemplate(
        find('StatefulSet', 'device-management'),
        inputs('device-management-0', pods.service, { postgres, mosquitto }),
      ),
      work,
    );
    await eventually(
      'the service /health 200',
      async () => {
        const state = await containerState(containers.service);
        if (state.status === 'exited') throw new Error(`the service exited ${state.exitCode}`);
        const response = await fetch(`http://${service}:3000/health`, {
          signal: AbortSignal.timeout(3_000),
        }).catch(() => undefined);
        return response?.status === 200 ? true : undefined;
      },
      { timeoutMs: DEADLINE_MS.health, intervalMs: 250 },
    );
    healthAfterMs = Date.now() - started;
    addresses = { postgres, mosquitto, service };
  } catch (error) {
    throw await withLogs(error);
  }
});

afterAll(async () => {
  await Promise.all(devices.map((device) => device.close().catch(() => {})));
  await removePods(Object.values(pods));
  rmSync(work, { recursive: true, force: true });
});

describe('infra/k8s played with podman kube play on the images of infra/images', () => {
  it('runs the service on PostgreSQL and Mosquitto: /health answers 200', async () => {
    const response = await fetch(`http://${addresses.service}:3000/health`);
    expect(response.status).toBe(200);
    // The image holds the console's assets and the API's documentation.
    for (const path of ['/', '/docs']) {
      const page = await fetch(`http://${addresses.service}:3000${path}`);
      expect([path, page.status, page.headers.get('content-type')]).toEqual([
        path,
        200,
        expect.stringMatching(/^text\/html/),
      ]);
    }
    // The containers as the manifests say: non-root, read-only root filesystem.
    // The images built here, not others of the same name.
    for (const name of [containers.postgres, containers.mosquitto, containers.service]) {
      const [user, readOnly, image, imageName] = (
        await podman(
          'inspect',
          '--format',
          '{{.Config.User}} {{.HostConfig.ReadonlyRootfs}} {{.Image}} {{.ImageName}}',
          name,
        )
      )
        .trim()
        .split(' ');
      expect({ name, root: /^0?(:|$)/.test(user), readOnly, image }).toEqual({
        name,
        root: false,
        readOnly: 'true',
        image: imageIds[imageName],
      });
    }
    console.log(`kube play: /health 200 ${healthAfterMs} ms after the service's pod was played`);
  });

  it('takes an update job through to a device holding a device certificate', async () => {
    const device = new SimulatedDevice({
      url: `mqtts://${addresses.mosquitto}:8883`,
      protocolVersion: 5,
      address: { tenantId: TENANT, clientId: CLIENT },
      phaseDelayMs: 10,
      tls: {
        caFile: pkiFile('ca.crt'),
        certFile: pkiFile(`clients/${TENANT}/${CLIENT}.crt`),
        keyFile: pkiFile(`clients/${TENANT}/${CLIENT}.key`),
        // The pod's address, under the name the broker's certificate carries (the Service's).
        servername: 'mosquitto',
      },
    });
    devices.push(device);
    await device.connect();
    const api = await ApiClient.as(
      `http://${addresses.service}:3000`,
      jwtSecret,
      TENANT,
      ['admin'],
      {
        issuer: serviceConfig.JWT_ISSUER,
        audience: serviceConfig.JWT_AUDIENCE,
      },
    );
    try {
      await api.registerClient(CLIENT, '1.0.0');
      const jobId = await api.requestUpdate(CLIENT, '2.0.0', `${REGISTRY}/opcfleet/opc-core:2.0.0`);
      const job = await api.waitForJob(jobId, 60_000);
      expect({ status: job.status, reportedVersion: job.reportedVersion }).toEqual({
        status: 'Succeeded',
        reportedVersion: '2.0.0',
      });
      expect(device.runningVersion).toBe('2.0.0');
    } catch (error) {
      throw await withLogs(error);
    }
  });
});
