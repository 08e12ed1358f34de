import { execFile } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { dump } from 'js-yaml';
import type { K8sObject } from './k8s-objects';

const run = promisify(execFile);

/** `podman ARGS...`, its standard output; a failure carries podman's standard error. */
export async function podman(...args: string[]): Promise<string> {
  try {
    const { stdout } = await run('podman', args, { maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    throw new Error(`podman ${args.join(' ')} failed: ${stderr?.trim() || String(error)}`);
  }
}

/** What a workload's pod gets in place of what the cluster would give it. */
export interface PodInputs {
  /** The pod's name as the cluster names it (`device-management-0`): `metadata.name` of its env. */
  clusterName: string;
  /** The podman pod's name (unique to the run). */
  podName: string;
  /** Image of the manifests -> image to run. */
  images: Record<string, string>;
  /** ConfigMaps and Secrets by name, as key -> value (Secrets in plain text). */
  data: Record<string, Record<string, string>>;
  /** Where the volumes go on the host: one folder per volume, made here. */
  volumeRoot: string;
  /** /etc/hosts entries: the Services the pod dials, by name. */
  hosts?: Record<string, string>;
}

type EnvVar = { name: string; value?: string; valueFrom?: Record<string, any> };

/**
 * A Pod for `podman kube play` from a Deployment's, StatefulSet's or Job's pod template. Podman
 * 4.3 plays Pods and Deployments, not StatefulSets or Jobs, and it knows neither Secrets nor the
 * kubelet's fsGroup, so what the kubelet does is done here, and nothing else is changed:
 * - env: `envFrom` and `valueFrom` (ConfigMap and Secret keys, `metadata.name`) become values,
 *   and `$(VAR)` references are expanded, in Kubernetes' order;
 * - volumes: ConfigMaps, Secrets and emptyDirs become host folders laid out as the kubelet lays
 *   them out (files of the keys, `defaultMode`, group `fsGroup`);
 * - images: the locally built ones, never pulled;
 * - ports: none published (see below).
 * Security contexts, commands, arguments, probes and resources are the manifests'.
 */
export function podFromTemplate(workload: K8sObject, inputs: PodInputs): Record<string, unknown> {
  // A JSON copy rather than structuredClone, whose objects (of another realm under jest) js-yaml refuses.
  const template = JSON.parse(JSON.stringify(workload.spec.template));
  const spec = template.spec;
  const group: number | undefined = spec.securityContext?.fsGroup;
  const lookup = (kind: 'configMap' | 'secret', name: string, key?: string) => {
    const source = inputs.data[name];
    if (!source) throw new Error(`${workload.metadata.name}: no test data for ${kind} ${name}`);
    if (key === undefined) return source;
    if (!(key in source)) throw new Error(`${workload.metadata.name}: ${name} has no key ${key}`);
    return source[key];
  };

  for (const container of spec.containers) {
    const env: Record<string, string> = {};
    for (const from of container.envFrom ?? []) {
      const ref = from.configMapRef ?? from.secretRef;
      Object.assign(env, lookup(from.configMapRef ? 'configMap' : 'secret', ref.name));
    }
    for (const { name, value, valueFrom } of (container.env ?? []) as EnvVar[]) {
      if (value !== undefined) {
        env[name] = value.replace(/\$\((\w+)\)/g, (whole, ref: string) => env[ref] ?? whole);
      } else if (valueFrom?.fieldRef?.fieldPath === 'metadata.name') {
        env[name] = inputs.clusterName;
      } else if (valueFrom?.configMapKeyRef) {
        const { name: map, key } = valueFrom.configMapKeyRef;
        env[name] = lookup('configMap', map, key) as string;
      } else if (valueFrom?.secretKeyRef) {
        const { name: secret, key } = valueFrom.secretKeyRef;
        env[name] = lookup('secret', secret, key) as string;
      } else {
        throw new Error(`${workload.metadata.name}: env ${name} has a source this harness lacks`);
      }
    }
    // Podman 4.3 publishes every containerPort on the host (Kubernetes does not), where the test
    // machine's own PostgreSQL and Mosquitto listen: the ports go, the probes name their number,
    // and the pods are reached at their own addresses.
    const portOf = (port: number | string) =>
      typeof port === 'number'
        ? port
        : container.ports?.find((p: { name: string }) => p.name === port)?.containerPort;
    for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
      const action = container[probe]?.httpGet ?? container[probe]?.tcpSocket;
      if (action) action.port = portOf(action.port);
    }
    delete container.ports;
    delete container.envFrom;
    container.env = Object.entries(env).map(([name, value]) => ({ name, value }));
    // Podman 4.3 pulls a named image even when it has it (and retags it to the registry's):
    // the ones built here are run as they are.
    if (inputs.images[container.image]) {
      container.image = inputs.images[container.image];
      container.imagePullPolicy = 'Never';
    }
  }

  // A StatefulSet's claims: a new, empty one per pod, as a first start gets.
  const claims = (workload.spec.volumeClaimTemplates ?? []).map(
    (claim: { metadata: { name: string } }) => ({ name: claim.metadata.name, emptyDir: {} }),
  );
  spec.volumes = [...(spec.volumes ?? []), ...claims].map((volume: Record<string, any>) => {
    const dir = join(inputs.volumeRoot, volume.name);
    mkdirSync(dir, { recursive: true });
    const source = volume.configMap ?? volume.secret;
    if (source) {
      const kind = volume.configMap ? 'configMap' : 'secret';
      const files = lookup(kind, source.name ?? source.secretName) as Record<string, string>;
      // The kubelet's defaults: 0644 for both kinds, the files' group fsGroup.
      const mode: number = source.defaultMode ?? 0o644;
      for (const [file, content] of Object.entries(files)) {
        writeFileSync(join(dir, file), content);
        chmodSync(join(dir, file), mode);
        if (group !== undefined) chownSync(join(dir, file), 0, group);
      }
      chmodSync(dir, 0o755);
    } else if (volume.emptyDir) {
      // Writable by the pod's group (fsGroup), as the kubelet makes an emptyDir or a new volume.
      if (group !== undefined) chownSync(dir, 0, group);
      chmodSync(dir, 0o2775);
    } else {
      throw new Error(
        `${workload.metadata.name}: volume ${volume.name} of a kind this harness lacks`,
      );
    }
    return { name: volume.name, hostPath: { path: dir, type: 'Directory' } };
  });
  if (inputs.hosts) {
    spec.hostAliases = Object.entries(inputs.hosts).map(([hostname, ip]) => ({
      ip,
      hostnames: [hostname],
    }));
  }
  // A Job's pod: its restart policy (OnFailure) is the Pod's.
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: inputs.podName, labels: template.metadata?.labels ?? {} },
    spec,
  };
}

/** Plays one Pod (its YAML written beside its volumes) and returns the pod's address. */
export async function playPod(pod: Record<string, unknown>, dir: string): Promise<string> {
  const name = (pod.metadata as { name: string }).name;
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, dump(pod, { noRefs: true, lineWidth: 120 }));
  await podman('kube', 'play', '--quiet', file);
  return podAddress(name);
}

/** The pod's IP address on podman's network (where its containers listen). */
export async function podAddress(podName: string): Promise<string> {
  const infra = (
    await podman('pod', 'inspect', '--format', '{{.InfraContainerID}}', podName)
  ).trim();
  const networks = JSON.parse(
    await podman('inspect', '--format', '{{json .NetworkSettings.Networks}}', infra),
  ) as Record<string, { IPAddress: string }>;
  const address = Object.values(networks).find((network) => network.IPAddress)?.IPAddress;
  if (!address) throw new Error(`pod ${podName} has no IP address: ${JSON.stringify(networks)}`);
  return address;
}

/** The state of a pod's container (`running`, `exited`, ...) and its exit code. */
export async function containerState(
  container: string,
): Promise<{ status: string; exitCode: number }> {
  const [status, exitCode] = (
    await podman('inspect', '--format', '{{.State.Status}} {{.State.ExitCode}}', container)
  )
    .trim()
    .split(' ');
  return { status, exitCode: Number(exitCode) };
}

/** The last lines a container wrote, for a failure's message (none when it does not exist). */
export async function containerLogs(container: string, lines = 40): Promise<string | undefined> {
  try {
    const { stdout, stderr } = await run('podman', ['logs', '--tail', String(lines), container]);
    return `${stdout}${stderr}`;
  } catch {
    return undefined;
  }
}

/** Removes the pods, their containers and volumes; what is gone already is no error. */
export async function removePods(names: string[]): Promise<void> {
  for (const name of names) await run('podman', ['pod', 'rm', '--force', name]).catch(() => {});
}

/**
 * Removes the pods of earlier runs whose test process is gone (killed before its clean-up):
 * pods named `<prefix>-<pid>-...`.
 */
export async function removeStalePods(prefix: string): Promise<void> {
  const names = (await podman('pod', 'ls', '--format', '{{.Name}}', '--filter', `name=^${prefix}-`))
    .split('\n')
    .filter(Boolean);
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
  };
  const stale = names.filter((name) => {
    const pid = Number(name.slice(prefix.length + 1).split('-')[0]);
    return Number.isInteger(pid) && pid !== process.pid && !alive(pid);
  });
  await removePods(stale);
}
