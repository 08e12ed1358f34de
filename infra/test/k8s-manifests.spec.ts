import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadAppConfig } from '../../services/device-management/src/config/app.config';
import { loadMessagingConfig } from '../../services/device-management/src/messaging/messaging.config';
import {
  K8S_DIR,
  kustomization,
  manifestObjects,
  validateK8sObject,
  type K8sObject,
} from './support/k8s-objects';

const ROOT = join(__dirname, '../..');
const objects = manifestObjects();
const find = (kind: string, name: string): K8sObject => {
  const found = objects.find(({ object }) => object.kind === kind && object.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in the manifests`);
  return found.object;
};
const workloads = objects
  .map(({ object }) => object)
  .filter((object) => ['Deployment', 'StatefulSet', 'Job'].includes(object.kind));
const service = find('StatefulSet', 'device-management');
const serviceContainer = service.spec.template.spec.containers[0];
const serviceConfig = find('ConfigMap', 'device-management-config').data!;

/** KEY=value lines of a dotenv file (secrets/*.env.example). */
function envFile(path: string): Record<string, string> {
  return Object.fromEntries(
    readFileSync(join(K8S_DIR, path), 'utf8')
      .split('\n')
      .filter((line) => /^[A-Z_]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}
const serviceSecrets = envFile('secrets/device-management.env.example');

/** The env of the service's container as one pod (ordinal 0) sees it, `$(VAR)` expanded. */
function podEnv(podName: string): Record<string, string> {
  const env: Record<string, string> = { ...serviceConfig, ...serviceSecrets, POD_NAME: podName };
  for (const { name, value } of serviceContainer.env as { name: string; value?: string }[])
    if (value !== undefined) env[name] = value.replace(/\$\((\w+)\)/g, (_, ref) => env[ref]);
  return env;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

describe('Kubernetes manifests (infra/k8s)', () => {
  it('are valid against the Kubernetes schemas, object by object', () => {
    expect(objects.length).toBeGreaterThan(10);
    const invalid = objects.flatMap(({ file, object }) => {
      try {
        validateK8sObject(object);
        return [];
      } catch (error) {
        return [`${file} ${object.kind}/${object.metadata?.name}: ${(error as Error).message}`];
      }
    });
    expect(invalid).toEqual([]);
  });

  it('refuses an object the schema does not allow (the check is real)', () => {
    const broken = structuredClone(service);
    broken.spec.replicas = 'three';
    expect(() => validateK8sObject(broken)).toThrow(/replicas must be integer/);
    expect(() => validateK8sObject({ ...service, kind: 'Stateful' })).toThrow(/no schema/);
  });

  it('lists every manifest in kustomization.yaml, and every generator file has an example', () => {
    const yamlFiles = filesUnder(K8S_DIR)
      .map((file) => relative(K8S_DIR, file))
      .filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml');
    expect(yamlFiles.sort()).toEqual([...kustomization().resources].sort());
    for (const { files } of kustomization().configMapGenerator)
      for (const file of files)
        expect([file, existsSync(join(K8S_DIR, file))]).toEqual([file, true]);
    // Secrets are the operator's: each source under secrets/ has an example saying what it holds.
    for (const { files = [], envs = [] } of kustomization().secretGenerator)
      for (const path of [...files, ...envs]) {
        expect(path).toMatch(/^secrets\//);
        const example = [`${path}.example`, `secrets/${path.split('/')[1]}.example`];
        expect([path, example.some((file) => existsSync(join(K8S_DIR, file)))]).toEqual([
          path,
          true,
        ]);
      }
  });

  it('run every container non-root, read-only, without privilege escalation, with requests and limits', () => {
    expect(workloads.length).toBeGreaterThanOrEqual(5);
    for (const workload of workloads) {
      const pod = workload.spec.template.spec;
      for (const container of pod.containers) {
        const where = `${workload.metadata.name}/${container.name}`;
        expect({
          where,
          runAsNonRoot:
            container.securityContext?.runAsNonRoot ?? pod.securityContext?.runAsNonRoot,
          readOnlyRootFilesystem: container.securityContext?.readOnlyRootFilesystem,
          allowPrivilegeEscalation: container.securityContext?.allowPrivilegeEscalation,
          dropped: container.securityContext?.capabilities?.drop,
          requests: Object.keys(container.resources?.requests ?? {}).sort(),
          limits: Object.keys(container.resources?.limits ?? {}).sort(),
        }).toEqual({
          where,
          runAsNonRoot: true,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          dropped: ['ALL'],
          requests: ['cpu', 'memory'],
          limits: ['cpu', 'memory'],
        });
      }
    }
  });

  it('run the service as 3 replicas probed on /health, behind a Service, with a disruption budget', () => {
    expect(service.spec.replicas).toBe(3);
    const httpPort = serviceContainer.ports.find((port: any) => port.name === 'http');
    expect(httpPort.containerPort).toBe(Number(serviceConfig.HTTP_PORT));
    for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe'])
      expect([probe, serviceContainer[probe].httpGet]).toEqual([
        probe,
        { path: '/health', port: 'http' },
      ]);
    expect(serviceContainer.command).toEqual([
      'node',
      'dist/services/device-management/src/main.js',
    ]);
    expect(existsSync(join(ROOT, 'services/device-management/src/main.ts'))).toBe(true);

    const podLabels = service.spec.template.metadata.labels;
    const selects = (selector: Record<string, string>) =>
      Object.entries(selector).every(([key, value]) => podLabels[key] === value);
    expect(
      selects(find('PodDisruptionBudget', 'device-management').spec.selector.matchLabels),
    ).toBe(true);
    const api = find('Service', 'device-management');
    expect(selects(api.spec.selector)).toBe(true);
    expect(api.spec.ports[0].targetPort).toBe('http');
    expect(find('Service', service.spec.serviceName).spec.clusterIP).toBe('None');
  });

  it('migrate with a Job running the migration CLI on the same database settings', () => {
    const job = find('Job', 'device-management-migrate');
    const container = job.spec.template.spec.containers[0];
    expect(container.command).toEqual([
      'node',
      'dist/services/device-management/src/migrations/migrate.cli.js',
    ]);
    expect(existsSync(join(ROOT, 'services/device-management/src/migrations/migrate.cli.ts'))).toBe(
      true,
    );
    expect(container.image).toBe(serviceContainer.image);
    const envNames = container.env.map((entry: { name: string }) => entry.name);
    expect(envNames).toEqual(expect.arrayContaining(['DATABASE_URL', 'EVENT_STORE_SCHEMA']));
  });

  it('give each replica its own MQTT certificate (Mosquitto: one session per certificate)', () => {
    const mounted = serviceContainer.volumeMounts.find((mount: any) => mount.name === 'mqtt-tls');
    const volume = service.spec.template.spec.volumes.find((v: any) => v.name === 'mqtt-tls');
    const generated = kustomization().secretGenerator.find(
      (secret) => secret.name === volume.secret.secretName,
    )!;
    const names = generated.files!.map((file) => file.split('/').pop());
    for (let ordinal = 0; ordinal < service.spec.replicas; ordinal++) {
      const env = podEnv(`device-management-${ordinal}`);
      for (const file of [env.MQTT_CERT_FILE, env.MQTT_KEY_FILE, env.MQTT_CA_FILE]) {
        expect(file.startsWith(`${mounted.mountPath}/`)).toBe(true);
        expect(names).toContain(file.slice(mounted.mountPath.length + 1));
      }
    }
    expect(podEnv('device-management-1').MQTT_CERT_FILE).not.toBe(
      podEnv('device-management-2').MQTT_CERT_FILE,
    );
  });

  it('set every setting of docs/configuration.md an operator sets, to values the service accepts', () => {
    const table = readFileSync(join(ROOT, 'docs/configuration.md'), 'utf8').split('\n## ')[0];
    const documented = new Set(
      table
        .split('\n')
        .filter((line) => line.startsWith('| `'))
        .flatMap((line) =>
          [...line.split('|')[1].matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]),
        ),
    );
    /** Settings a cluster leaves out, with the reason. */
    const notInACluster: Record<string, string> = {
      DATA_DIR: 'embedded defaults of npm start: DATABASE_URL and MQTT_URL are set',
      EMBEDDED_DB_PORT: 'embedded default',
      EMBEDDED_MQTT_PORT: 'embedded default',
      EMBEDDED_MQTT_HOST: 'embedded default',
      BROKER_MAX_PACKET_BYTES: 'the embedded broker only; Mosquitto has max_packet_size',
      HTTPS_CERT_FILE: 'TLS ends at Kong',
      HTTPS_KEY_FILE: 'TLS ends at Kong',
      JWT_SECRET: 'development HS256 key; the cluster verifies with JWT_JWKS_URL',
      MQTT_USERNAME: 'the broker knows the service by its certificate',
      MQTT_PASSWORD: 'the broker knows the service by its certificate',
      OIDC_RESOURCE: 'only for a provider that issues access tokens per resource indicator',
    };
    const env = podEnv('device-management-0');
    const set = new Set(Object.keys(env));
    expect([...documented].filter((name) => !set.has(name) && !notInACluster[name])).toEqual([]);
    // And nothing the table does not know (a misspelt setting would be ignored by the service).
    expect(
      [...Object.keys(serviceConfig), ...Object.keys(serviceSecrets)].filter(
        (name) => !documented.has(name),
      ),
    ).toEqual([]);

    const app = loadAppConfig(env);
    expect(app.http.port).toBe(3000);
    expect(app.oidc).toMatchObject({
      issuer: 'https://idp.example.com/',
      clientId: 'opcfleet-console',
    });
    const messaging = loadMessagingConfig(env);
    expect(messaging.sharedGroup).toBe('opcfleet');
    expect(messaging.mqtt.url).toBe('mqtts://mosquitto:8883');
  });

  it('configure Mosquitto with the policy of infra/mosquitto (secure.conf, secure.acl)', () => {
    const mosquitto = find('ConfigMap', 'mosquitto-config').data!;
    expect(mosquitto['secure.acl']).toBe(
      readFileSync(join(ROOT, 'infra/mosquitto/secure.acl'), 'utf8'),
    );
    /** The directives, with the listener's address and the files' folders left out. */
    const policy = (conf: string) =>
      conf
        .split('\n')
        .filter((line) => line.trim() && !line.startsWith('#'))
        .map((line) => {
          const [key, ...rest] = line.trim().split(/\s+/);
          if (key === 'listener') return `listener ${rest[0]}`;
          if (['cafile', 'certfile', 'keyfile', 'acl_file'].includes(key))
            return `${key} ${rest[0].split('/').pop()}`;
          return [key, ...rest].join(' ');
        });
    expect(policy(mosquitto['mosquitto.conf'])).toEqual(
      policy(readFileSync(join(ROOT, 'infra/mosquitto/secure.conf'), 'utf8')),
    );
    expect(mosquitto['mosquitto.conf']).toMatch(/^tls_version tlsv1\.3$/m);
    expect(mosquitto['mosquitto.conf']).toMatch(/^listener 8883$/m);
  });
});
