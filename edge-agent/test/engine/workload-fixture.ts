import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Docker, { type Container } from 'dockerode';
import type { UpdateCommand } from '@opcfleet/contracts';
import { DockerodeRuntime } from '../../src/container-runtime/dockerode-runtime';

const run = promisify(execFile);

export const DOCKER_HOST = process.env.DOCKER_HOST ?? 'unix:///run/podman/podman.sock';
export const REGISTRY = process.env.TEST_REGISTRY ?? '127.0.0.1:5000';
/** Where infra/images/build-and-push.sh puts the sample workload. */
export const SOURCE_REPOSITORY = `${REGISTRY}/opcfleet/opc-core`;

/** Makes a sample tag present in the engine's local storage. */
export async function pullSource(tag: string): Promise<void> {
  await run('podman', ['pull', '-q', '--tls-verify=false', `${SOURCE_REPOSITORY}:${tag}`]);
}

/**
 * Runs `work` again, three times in all, when an image it had just made present is gone. The
 * sample images are one image each in the engine, under every fixture's name, and Podman
 * before 4.8 rewrites an image's whole list of names on each tag and untag: an agent pruning
 * its older names in another suite can drop a name just pulled here (a create answering 404
 * right after its pull). Fixtures themselves neither tag nor untag for that reason.
 */
async function againWhileImageGone<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      const { statusCode, stderr } = error as { statusCode?: number; stderr?: string };
      const imageGone = statusCode === 404 || /image not known/.test(stderr ?? '');
      if (!imageGone || attempt >= 3) throw error;
    }
  }
}

export function engine(): Docker {
  return new Docker({ socketPath: DOCKER_HOST.replace(/^unix:\/\//, '') });
}

export function runtime(): DockerodeRuntime {
  return new DockerodeRuntime({ dockerHost: DOCKER_HOST, insecureRegistries: [REGISTRY] });
}

/**
 * One test's own workload: a unique container name, its own copy of the sample images under a
 * unique repository (so pruning in one test never touches another's images), a config bind
 * mount, a named volume, env, labels, a published port and a restart policy to carry over.
 */
export class WorkloadFixture {
  readonly id = randomBytes(4).toString('hex');
  readonly containerName = `opc-test-${this.id}`;
  readonly repository = `${REGISTRY}/opcfleet/t-${this.id}/opc-core`;
  readonly volumeName = `opc-test-data-${this.id}`;
  /**
   * Below Linux's ephemeral range (32768 and up), so no outgoing connection of this machine
   * can hold it when the engine binds it.
   */
  readonly hostPort = 10000 + Math.floor(Math.random() * 22000);
  configDir = '';
  private readonly docker = engine();

  image(tag: string): string {
    return `${this.repository}:${tag}`;
  }

  /** Copies sample tags into this fixture's repository in the registry, without a local name. */
  async stage(...tags: string[]): Promise<void> {
    for (const tag of tags) {
      await againWhileImageGone(async () => {
        await pullSource(tag);
        await run('podman', [
          'push',
          '-q',
          '--tls-verify=false',
          `${SOURCE_REPOSITORY}:${tag}`,
          this.image(tag),
        ]);
      });
    }
  }

  /** The device's current workload container, started, from `tag` of this fixture's repository. */
  async createWorkload(tag: string, options: { restartPolicy?: string } = {}): Promise<string> {
    this.configDir = await mkdtemp(join(tmpdir(), `opc-cfg-${this.id}-`));
    await writeFile(join(this.configDir, 'opc-client.json'), '{"endpoint":"opc.tcp://plc:4840"}');
    await this.docker.createVolume({ Name: this.volumeName });
    const container = await this.pulledAndCreated(tag, options.restartPolicy ?? 'no');
    await container.start();
    return container.id;
  }

  /** Pulls the tag and creates the workload's container from it. */
  private pulledAndCreated(tag: string, restartPolicy: string): Promise<Container> {
    return againWhileImageGone(async () => {
      await run('podman', ['pull', '-q', '--tls-verify=false', this.image(tag)]);
      return this.docker.createContainer({
        name: this.containerName,
        Image: this.image(tag),
        Env: ['SITE=plant-7', 'OPC_HTTP_PORT=8080'],
        Labels: { 'com.example.site': 'plant-7' },
        HostConfig: {
          Binds: [`${this.configDir}:/config:ro`, `${this.volumeName}:/data`],
          PortBindings: { '8080/tcp': [{ HostPort: String(this.hostPort) }] },
          RestartPolicy: { Name: restartPolicy },
        },
      });
    });
  }

  /** Writes a marker into the named volume, to prove the volume survives a swap or a rollback. */
  async writeMarker(text: string): Promise<void> {
    await this.execIn(['/bin/busybox', 'sh', '-c', `echo ${text} > /data/marker`]);
  }

  async readMarker(): Promise<string> {
    return (await this.execIn(['/bin/busybox', 'cat', '/data/marker'])).trim();
  }

  private async execIn(cmd: string[]): Promise<string> {
    const { stdout } = await run('podman', ['exec', this.containerName, ...cmd]);
    return stdout;
  }

  /** Containers whose name starts with this fixture's name. */
  async containers(): Promise<Docker.ContainerInfo[]> {
    const all = await this.docker.listContainers({ all: true });
    return all.filter((c) =>
      c.Names.some((n) => n.replace(/^\//, '').startsWith(this.containerName)),
    );
  }

  /**
   * What the workload's health endpoint answers, asked until it answers or 10 s pass: a
   * container that was just started back (rollback) needs a moment to listen.
   */
  async health(): Promise<string | null> {
    const giveUpAt = Date.now() + 10_000;
    for (;;) {
      try {
        const response = await fetch(`http://127.0.0.1:${this.hostPort}/health`, {
          signal: AbortSignal.timeout(1000),
        });
        if (response.ok) return (await response.text()).trim();
      } catch {
        // not listening yet
      }
      if (Date.now() >= giveUpAt) return null;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  async cleanup(): Promise<void> {
    for (const c of await this.containers()) {
      await this.docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined);
    }
    await this.docker
      .getVolume(this.volumeName)
      .remove()
      .catch(() => undefined);
    // The names this fixture's pulls left stay until test-env sweeps them before the next run
    // (infra/scripts/test-env.d/25-sweep-test-image-names.sh): untagging now could drop another
    // suite's name (see above).
    if (this.configDir) await rm(this.configDir, { recursive: true, force: true });
  }
}

export function updateCommand(
  image: string,
  targetVersion: string,
  digest?: string,
): UpdateCommand {
  return {
    schema: 'opcfleet.command.update/v1',
    messageId: randomUUID(),
    jobId: randomUUID(),
    tenantId: 'tenant-test',
    clientId: 'client-test',
    correlationId: `corr-${randomUUID()}`,
    issuedAt: new Date().toISOString(),
    payload: { targetVersion, image, ...(digest ? { imageDigest: digest } : {}) },
  };
}

/** The manifest digest the registry serves for a tag. */
export async function registryDigest(image: string): Promise<string> {
  const [, path, tag] = /^[^/]+\/(.+):([^:]+)$/.exec(image)!;
  const response = await fetch(`http://${REGISTRY}/v2/${path}/manifests/${tag}`, {
    method: 'HEAD',
    headers: {
      Accept:
        'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json',
    },
  });
  return response.headers.get('docker-content-digest')!;
}
