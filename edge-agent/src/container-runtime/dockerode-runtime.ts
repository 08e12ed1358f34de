import { statfs } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import {
  RuntimeError,
  type ContainerInfo,
  type ContainerRuntime,
  type CreateFromTemplateOptions,
  type EngineHealth,
  type ExecResult,
  type ImageInfo,
  type LogTailOptions,
  type PullOptions,
  type PullProgress,
  type RegistryAuth,
} from './container-runtime.port';
import { dockerClient } from './docker-client';
import { logTail } from './docker-log-stream';
import { parseImageReference } from './image-reference';
import { classifyPullError } from './pull-errors';
import { registryImageSize } from './registry-image-size';

export interface DockerodeRuntimeOptions {
  /** unix:///path/to.sock or tcp://host:port; defaults to DOCKER_HOST's usual meaning. */
  dockerHost?: string;
  /** Registries reached over plain HTTP when asking them for an image's size. */
  insecureRegistries?: readonly string[];
}

interface EngineError {
  statusCode?: number;
  message?: string;
  json?: { message?: string } | null;
}

interface ProgressEvent {
  id?: string;
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
  progressDetail?: { current?: number; total?: number };
}

/** Host settings that carry over to the replacement container (everything the device set up). */
const HOST_CONFIG_CARRIED = [
  'Binds',
  'Mounts',
  'PortBindings',
  'PublishAllPorts',
  'NetworkMode',
  'RestartPolicy',
  'Privileged',
  'CapAdd',
  'CapDrop',
  'Devices',
  'ExtraHosts',
  'Dns',
  'DnsSearch',
  'LogConfig',
  'Memory',
  'NanoCpus',
  'CpuShares',
  'Tmpfs',
  'ReadonlyRootfs',
  'SecurityOpt',
  'GroupAdd',
] as const;

export class DockerodeRuntime implements ContainerRuntime {
  private readonly docker: Docker;

  constructor(private readonly options: DockerodeRuntimeOptions = {}) {
    this.docker = dockerClient(options.dockerHost ?? process.env.DOCKER_HOST);
  }

  async inspectContainer(nameOrId: string): Promise<ContainerInfo | null> {
    try {
      const c = await this.docker.getContainer(nameOrId).inspect();
      const health = (c.State.Health?.Status ?? 'none') as string;
      return {
        id: c.Id,
        name: c.Name.replace(/^\//, ''),
        imageRef: c.Config.Image,
        imageId: c.Image,
        running: c.State.Running,
        restarting: c.State.Restarting,
        exitCode: c.State.ExitCode,
        restartCount: c.RestartCount ?? 0,
        startedAt: c.State.StartedAt,
        health: (['starting', 'healthy', 'unhealthy'].includes(health)
          ? health
          : 'none') as EngineHealth,
        labels: c.Config.Labels ?? {},
        ipAddresses: Object.values(c.NetworkSettings.Networks ?? {})
          .map((n) => n.IPAddress)
          .filter((ip): ip is string => Boolean(ip)),
      };
    } catch (error) {
      if (statusOf(error) === 404) return null;
      throw engineError(`inspect container ${nameOrId}`, error);
    }
  }

  async inspectImage(reference: string): Promise<ImageInfo | null> {
    try {
      const i = await this.docker.getImage(reference).inspect();
      return {
        id: i.Id,
        repoTags: i.RepoTags ?? [],
        repoDigests: i.RepoDigests ?? [],
        sizeBytes: i.Size,
        createdAt: i.Created,
      };
    } catch (error) {
      if (statusOf(error) === 404) return null;
      throw engineError(`inspect image ${reference}`, error);
    }
  }

  async pullImage(reference: string, options: PullOptions = {}): Promise<ImageInfo> {
    const events = await this.followPull(reference, options);
    // Podman ends a failed pull "successfully": the failure sits in an event.
    const failure = events.find((e) => e.error || e.errorDetail?.message);
    if (failure) {
      throw classifyPullError(reference, failure.error ?? failure.errorDetail?.message ?? '');
    }
    const image = await this.inspectImage(reference);
    if (!image) {
      // No error event, yet no image: the stream ended early (an engine restarting?).
      throw new RuntimeError(
        'pull_failed',
        `the engine ended the pull of ${reference} without the image`,
        true,
      );
    }
    if (options.expectedDigest) {
      const repository = parseImageReference(reference).repository;
      const digests = image.repoDigests.map((d) => d.slice(d.indexOf('@') + 1));
      const wanted = `${repository}@${options.expectedDigest}`;
      if (!image.repoDigests.includes(wanted) && !digests.includes(options.expectedDigest)) {
        throw new RuntimeError(
          'digest_mismatch',
          `pulled ${reference} has digest ${digests.join(', ') || 'unknown'}, expected ${options.expectedDigest}`,
        );
      }
    }
    return image;
  }

  private followPull(reference: string, options: PullOptions): Promise<ProgressEvent[]> {
    // The caller's signal may fire after the pull is over (the runner aborts at the end of every
    // step): it must then not reach the request, whose kept-alive socket may serve another.
    const pullRunning = new AbortController();
    const abortPull = () => pullRunning.abort();
    options.signal?.addEventListener('abort', abortPull, { once: true });
    if (options.signal?.aborted) pullRunning.abort();
    return new Promise<ProgressEvent[]>((resolve, reject) => {
      const pullOptions = {
        ...(options.auth && { authconfig: options.auth }),
        ...(options.signal && { abortSignal: pullRunning.signal }),
      };
      this.docker.pull(reference, pullOptions, (error: unknown, stream?: NodeJS.ReadableStream) => {
        if (error || !stream) {
          reject(pullError(reference, error));
          return;
        }
        const layers = new Map<string, { current: number; total?: number }>();
        this.docker.modem.followProgress(
          stream,
          (finishError: unknown, events: ProgressEvent[]) =>
            finishError ? reject(pullError(reference, finishError)) : resolve(events ?? []),
          (event: ProgressEvent) => {
            if (!options.onProgress || !event.id || !event.progressDetail) return;
            const { current, total } = event.progressDetail;
            if (current === undefined) return;
            layers.set(event.id, { current, total });
            options.onProgress(sumProgress(layers));
          },
        );
      });
    }).finally(() => options.signal?.removeEventListener('abort', abortPull));
  }

  async renameContainer(nameOrId: string, newName: string): Promise<void> {
    try {
      await this.docker.getContainer(nameOrId).rename({ name: newName });
    } catch (error) {
      throw engineError(`rename ${nameOrId} to ${newName}`, error);
    }
  }

  async stopContainer(nameOrId: string, timeoutSeconds: number): Promise<void> {
    try {
      await this.docker.getContainer(nameOrId).stop({ t: timeoutSeconds });
    } catch (error) {
      if (statusOf(error) === 304) return; // already stopped
      throw engineError(`stop ${nameOrId}`, error);
    }
  }

  async startContainer(nameOrId: string): Promise<void> {
    try {
      await this.docker.getContainer(nameOrId).start();
    } catch (error) {
      if (statusOf(error) === 304) return; // already running
      throw engineError(`start ${nameOrId}`, error);
    }
  }

  async createFromTemplate(
    templateNameOrId: string,
    options: CreateFromTemplateOptions,
  ): Promise<string> {
    let template: Docker.ContainerInspectInfo;
    try {
      template = await this.docker.getContainer(templateNameOrId).inspect();
    } catch (error) {
      throw engineError(`inspect template ${templateNameOrId}`, error);
    }
    // What the old image itself defined must not override the new image's own defaults.
    const oldImage = await this.docker
      .getImage(template.Image)
      .inspect()
      .catch(() => null);
    const imageConfig = oldImage?.Config;
    const differs = (a: unknown, b: unknown) => JSON.stringify(a) !== JSON.stringify(b);
    // HOSTNAME and `container=` are set by the engine for each container, not by the device.
    const env = (template.Config.Env ?? []).filter(
      (e) =>
        !(imageConfig?.Env ?? []).includes(e) &&
        !e.startsWith('HOSTNAME=') &&
        !e.startsWith('container='),
    );
    const labels: Record<string, string> = {};
    for (const [key, value] of Object.entries(template.Config.Labels ?? {})) {
      if (imageConfig?.Labels?.[key] !== value) labels[key] = value;
    }
    const hostConfig: Record<string, unknown> = {};
    const templateHost = template.HostConfig as Record<string, unknown>;
    for (const key of HOST_CONFIG_CARRIED) {
      const value = templateHost[key];
      if (value !== undefined && value !== null) hostConfig[key] = value;
    }
    const endpoints: Record<string, { Aliases?: string[] }> = {};
    for (const [network, endpoint] of Object.entries(template.NetworkSettings.Networks ?? {})) {
      // The engine adds the short container id as an alias: only the device's own aliases carry over.
      const aliases = (endpoint.Aliases ?? []).filter((a: string) => !template.Id.startsWith(a));
      endpoints[network] = aliases.length ? { Aliases: aliases } : {};
    }
    const createOptions: Docker.ContainerCreateOptions = {
      name: options.name,
      Image: options.image,
      Env: env,
      Labels: { ...labels, ...options.extraLabels },
      ExposedPorts: template.Config.ExposedPorts,
      Hostname:
        template.Config.Hostname === template.Id.slice(0, 12)
          ? undefined
          : template.Config.Hostname,
      HostConfig: hostConfig as Docker.HostConfig,
      NetworkingConfig: Object.keys(endpoints).length ? { EndpointsConfig: endpoints } : undefined,
    };
    if (differs(template.Config.Cmd, imageConfig?.Cmd)) createOptions.Cmd = template.Config.Cmd;
    if (differs(template.Config.Entrypoint, imageConfig?.Entrypoint)) {
      createOptions.Entrypoint = template.Config.Entrypoint;
    }
    if (differs(template.Config.WorkingDir, imageConfig?.WorkingDir)) {
      createOptions.WorkingDir = template.Config.WorkingDir;
    }
    if (differs(template.Config.User, imageConfig?.User)) createOptions.User = template.Config.User;
    const templateHealth = (template.Config as { Healthcheck?: Docker.HealthConfig }).Healthcheck;
    if (templateHealth && differs(templateHealth, imageConfig?.Healthcheck)) {
      createOptions.Healthcheck = templateHealth;
    }
    try {
      const created = await this.docker.createContainer(createOptions);
      return created.id;
    } catch (error) {
      const action = `create ${options.name} from ${templateNameOrId}`;
      if (statusOf(error) === 404 && NO_SUCH_IMAGE.test(messageOf(error))) {
        throw new RuntimeError('image_not_found', `${action}: ${messageOf(error)}`);
      }
      throw engineError(action, error);
    }
  }

  async removeContainer(nameOrId: string): Promise<void> {
    try {
      await this.docker.getContainer(nameOrId).remove({ force: true, v: false });
    } catch (error) {
      if (statusOf(error) === 404) return;
      throw engineError(`remove ${nameOrId}`, error);
    }
  }

  async listImages(repository: string): Promise<ImageInfo[]> {
    try {
      const images = await this.docker.listImages({ all: false });
      const belongs = (ref: string) =>
        ref.startsWith(`${repository}:`) || ref.startsWith(`${repository}@`);
      return images
        .filter((i) => [...(i.RepoTags ?? []), ...(i.RepoDigests ?? [])].some(belongs))
        .map((i) => ({
          id: i.Id.startsWith('sha256:') ? i.Id : `sha256:${i.Id}`,
          repoTags: i.RepoTags ?? [],
          repoDigests: i.RepoDigests ?? [],
          sizeBytes: i.Size,
          createdAt: new Date(i.Created * 1000).toISOString(),
        }));
    } catch (error) {
      throw engineError(`list images of ${repository}`, error);
    }
  }

  async removeImage(reference: string): Promise<boolean> {
    try {
      await this.docker.getImage(reference).remove({ force: false });
      return true;
    } catch (error) {
      const status = statusOf(error);
      if (status === 404) return true;
      if (status === 409) return false; // still used by a container
      throw engineError(`remove image ${reference}`, error);
    }
  }

  async freeDiskBytes(): Promise<number | null> {
    try {
      const info = (await this.docker.info()) as { DockerRootDir?: string };
      if (!info.DockerRootDir) return null;
      const stats = await statfs(info.DockerRootDir);
      return stats.bavail * stats.bsize;
    } catch {
      // The engine's storage may not be visible from here (remote engine): the check is skipped.
      return null;
    }
  }

  registryImageSize(reference: string, auth?: RegistryAuth): Promise<number | null> {
    return registryImageSize(reference, auth, {
      insecureRegistries: this.options.insecureRegistries,
    });
  }

  async logsTail(nameOrId: string, options: LogTailOptions): Promise<string[]> {
    try {
      const answer: unknown = await this.docker
        .getContainer(nameOrId)
        .logs({ stdout: true, stderr: true, follow: false, tail: options.lines });
      // docker-modem hands over a body that parses as JSON parsed (a TTY's one JSON line).
      const data = Buffer.isBuffer(answer)
        ? answer
        : Buffer.from(typeof answer === 'string' ? answer : JSON.stringify(answer));
      return logTail(data, options.lines, options.maxBytes);
    } catch (error) {
      throw engineError(`logs of ${nameOrId}`, error);
    }
  }

  async exec(nameOrId: string, command: string[], timeoutMs: number): Promise<ExecResult> {
    const container = this.docker.getContainer(nameOrId);
    const run = async (): Promise<ExecResult> => {
      const exec = await container.exec({ Cmd: command, AttachStdout: true, AttachStderr: true });
      const stream = await exec.start({ hijack: true, stdin: false });
      const chunks: Buffer[] = [];
      await new Promise<void>((resolve, reject) => {
        const sink = new PassThrough();
        sink.on('data', (chunk: Buffer) => chunks.push(chunk));
        this.docker.modem.demuxStream(stream, sink, sink);
        stream.on('end', resolve);
        stream.on('close', resolve);
        stream.on('error', reject);
      });
      const result = await exec.inspect();
      return { exitCode: result.ExitCode ?? -1, output: Buffer.concat(chunks).toString('utf8') };
    };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new RuntimeError(
              'engine_error',
              `exec in ${nameOrId} timed out after ${timeoutMs} ms`,
              true,
            ),
          ),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([run(), timeout]);
    } catch (error) {
      if (error instanceof RuntimeError) throw error;
      throw engineError(`exec in ${nameOrId}`, error);
    } finally {
      clearTimeout(timer);
    }
  }
}

function sumProgress(layers: Map<string, { current: number; total?: number }>): PullProgress {
  let bytes = 0;
  let totalBytes = 0;
  let totalsKnown = true;
  for (const layer of layers.values()) {
    bytes += layer.current;
    if (layer.total && layer.total > 0) totalBytes += layer.total;
    else totalsKnown = false;
  }
  if (!totalsKnown || totalBytes === 0) return { bytes };
  return {
    bytes,
    totalBytes,
    percent: Math.min(100, Math.round((bytes / totalBytes) * 1000) / 10),
  };
}

function statusOf(error: unknown): number | undefined {
  return (error as EngineError | null)?.statusCode;
}

function messageOf(error: unknown): string {
  const e = error as EngineError | null;
  return e?.json?.message ?? e?.message ?? String(error);
}

/**
 * A name in use: Docker answers 409 "Conflict. The container name ... is already in use";
 * Podman 409 for a rename and 500 for a create, both saying "already in use".
 */
const NAME_IN_USE = /name .*already in use|container already exists/i;

/** A create from an image the engine does not have: Docker "No such image", Podman "no such image". */
const NO_SUCH_IMAGE = /no such image/i;

/** Errors of the connection to the engine itself, before or while it answers. */
const CONNECTION_ERRORS = new Set([
  'ENOENT',
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/**
 * The engine did not answer: its socket is gone or refuses (ENOENT, ECONNREFUSED), the
 * connection broke mid-answer, or a proxy in front of it says it is away (502, 503, 504). An
 * engine that answers, even 500, is there: its answer is about the request.
 */
function engineUnreachable(error: unknown): boolean {
  const e = error as { code?: unknown; statusCode?: number; message?: string } | null;
  if (e?.statusCode !== undefined) return [502, 503, 504].includes(e.statusCode);
  return (
    (typeof e?.code === 'string' && CONNECTION_ERRORS.has(e.code)) ||
    /socket hang up|^aborted$/i.test(e?.message ?? '')
  );
}

function unavailable(action: string, error: unknown): RuntimeError {
  return new RuntimeError(
    'engine_unavailable',
    `${action}: the container engine is unavailable (${messageOf(error)})`,
    true,
  );
}

/** A failed pull request: the engine away, or its words about the registry and the image. */
function pullError(reference: string, error: unknown): RuntimeError {
  return engineUnreachable(error)
    ? unavailable(`pull ${reference}`, error)
    : classifyPullError(reference, messageOf(error));
}

function engineError(action: string, error: unknown): RuntimeError {
  if (engineUnreachable(error)) return unavailable(action, error);
  const status = statusOf(error);
  const message = `${action}: ${messageOf(error)}`;
  if (status === 404) return new RuntimeError('container_not_found', message);
  if (NAME_IN_USE.test(messageOf(error))) {
    return new RuntimeError('name_conflict', message);
  }
  return new RuntimeError('engine_error', message, true);
}
