import {
  RuntimeError,
  type ContainerInfo,
  type ContainerRuntime,
  type CreateFromTemplateOptions,
  type ExecResult,
  type ImageInfo,
  type LogTailOptions,
  type PullOptions,
} from '../container-runtime.port';
import { parseImageReference } from '../image-reference';

interface FakeContainer extends ContainerInfo {
  env: string[];
  /** What it printed on stdout and stderr, oldest first. */
  log: string[];
  /** A host port the container publishes: two running containers cannot share one. */
  hostPort?: number;
}

/** What a fake image does when a container of it starts. */
export type FakeBehaviour = 'healthy' | 'crash' | 'unhealthy';

/**
 * An in-memory engine for the machine's fast tests: containers, names and images behave like
 * the engine's (rename, name conflicts, stop/start idempotence), images carry a behaviour.
 */
export class FakeContainerRuntime implements ContainerRuntime {
  readonly containers = new Map<string, FakeContainer>();
  readonly images = new Map<string, ImageInfo & { behaviour: FakeBehaviour }>();
  /** Images the "registry" has: reference -> behaviour. */
  readonly registry = new Map<string, { behaviour: FakeBehaviour; digest: string }>();
  pullFailure: RuntimeError | null = null;
  /** While set, pulls wait for it (a slow download), like the engine, deaf to aborts. */
  pullGate: Promise<void> | null = null;
  freeBytes: number | null = 10 ** 12;
  /** While set, every call fails as when the engine's socket is gone (a pull waiting at the gate too). */
  engineDown = false;
  /**
   * Container id -> how many of its stops the engine's restart policy undoes at once (Podman
   * before 4.5 restarts a crash-looping container stopped between two restarts).
   */
  readonly comesBackAfterStop = new Map<string, number>();
  readonly calls: string[] = [];
  /**
   * Image reference -> lines every container of it prints when it starts (after the fake's
   * own line saying how it starts and, for a crash, how it ends).
   */
  readonly imageLogs = new Map<string, string[]>();
  private nextId = 1;

  addRunningContainer(
    name: string,
    image: string,
    behaviour: FakeBehaviour = 'healthy',
    hostPort?: number,
  ): string {
    const published = this.registry.get(image);
    const imageInfo = this.storeImage(
      image,
      published?.behaviour ?? behaviour,
      published?.digest ?? `sha256:${'0'.repeat(64)}`,
    );
    const id = this.newId();
    this.containers.set(id, {
      id,
      name,
      imageRef: image,
      imageId: imageInfo.id,
      running: true,
      restarting: false,
      exitCode: 0,
      restartCount: 0,
      health: 'none',
      labels: { origin: 'device' },
      ipAddresses: ['10.0.0.2'],
      env: ['SITE=plant-1'],
      log: [],
      hostPort,
    });
    return id;
  }

  async inspectContainer(nameOrId: string) {
    this.reach();
    const c = this.find(nameOrId);
    return c ? { ...c, labels: { ...c.labels } } : null;
  }

  async inspectImage(reference: string) {
    this.reach();
    return (
      [...this.images.values()].find((i) => i.id === reference || i.repoTags.includes(reference)) ??
      null
    );
  }

  async pullImage(reference: string, options: PullOptions = {}) {
    this.reach();
    this.calls.push(`pull ${reference}`);
    if (this.pullGate) await this.pullGate;
    this.reach();
    if (this.pullFailure) throw this.pullFailure;
    const entry = this.registry.get(reference);
    if (!entry) throw new RuntimeError('image_not_found', `manifest unknown: ${reference}`);
    options.onProgress?.({ bytes: 50, totalBytes: 100, percent: 50 });
    options.onProgress?.({ bytes: 100, totalBytes: 100, percent: 100 });
    if (options.expectedDigest && options.expectedDigest !== entry.digest) {
      throw new RuntimeError(
        'digest_mismatch',
        `expected ${options.expectedDigest}, got ${entry.digest}`,
      );
    }
    return this.storeImage(reference, entry.behaviour, entry.digest);
  }

  async renameContainer(nameOrId: string, newName: string) {
    this.reach();
    this.calls.push(`rename ${nameOrId} ${newName}`);
    const c = this.mustFind(nameOrId);
    if (this.find(newName)) throw new RuntimeError('name_conflict', `${newName} exists`);
    c.name = newName;
  }

  async stopContainer(nameOrId: string) {
    this.reach();
    this.calls.push(`stop ${nameOrId}`);
    const c = this.mustFind(nameOrId);
    c.running = false;
    c.restarting = false;
    const comebacks = this.comesBackAfterStop.get(c.id) ?? 0;
    if (comebacks > 0) {
      this.comesBackAfterStop.set(c.id, comebacks - 1);
      c.running = true;
      c.restartCount++;
    }
  }

  async startContainer(nameOrId: string) {
    this.reach();
    this.calls.push(`start ${nameOrId}`);
    const c = this.mustFind(nameOrId);
    const portHolder = this.running().find(
      (o) => o !== c && c.hostPort && o.hostPort === c.hostPort,
    );
    if (portHolder) {
      throw new RuntimeError(
        'engine_error',
        `start ${c.id}: cannot listen on the TCP port ${c.hostPort}: address already in use`,
      );
    }
    const behaviour = [...this.images.values()].find((i) => i.id === c.imageId)?.behaviour;
    c.log.push(`${c.imageRef} starting (${behaviour ?? 'healthy'})`);
    c.log.push(...(this.imageLogs.get(c.imageRef) ?? []));
    if (behaviour === 'crash') {
      c.log.push(`${c.imageRef} exiting with code 1`);
      c.running = false;
      c.exitCode = 1;
      return;
    }
    c.running = true;
    c.health = behaviour === 'unhealthy' ? 'unhealthy' : 'none';
  }

  async createFromTemplate(template: string, options: CreateFromTemplateOptions) {
    this.reach();
    this.calls.push(`create ${options.name} ${options.image}`);
    const t = this.mustFind(template);
    if (this.find(options.name)) throw new RuntimeError('name_conflict', `${options.name} exists`);
    const image = await this.inspectImage(options.image);
    if (!image) throw new RuntimeError('image_not_found', `no such image ${options.image}`);
    const id = this.newId();
    this.containers.set(id, {
      ...t,
      id,
      name: options.name,
      imageRef: options.image,
      imageId: image.id,
      running: false,
      exitCode: 0,
      restartCount: 0,
      health: 'none',
      labels: { ...t.labels, ...options.extraLabels },
      env: [...t.env],
      log: [],
    });
    return id;
  }

  async removeContainer(nameOrId: string) {
    this.reach();
    this.calls.push(`remove ${nameOrId}`);
    const c = this.find(nameOrId);
    if (c) this.containers.delete(c.id);
  }

  async listImages(repository: string) {
    this.reach();
    return [...this.images.values()].filter((i) =>
      i.repoTags.some((t) => t.startsWith(`${repository}:`)),
    );
  }

  async removeImage(reference: string) {
    this.reach();
    const image = [...this.images.values()].find(
      (i) =>
        i.id === reference || i.repoTags.includes(reference) || i.repoDigests.includes(reference),
    );
    if (!image) return true;
    if ([...this.containers.values()].some((c) => c.imageId === image.id)) return false;
    this.calls.push(`rmi ${reference}`);
    this.images.delete(image.id);
    return true;
  }

  async freeDiskBytes() {
    return this.freeBytes;
  }

  async registryImageSize() {
    return 1000;
  }

  async logsTail(nameOrId: string, options: LogTailOptions): Promise<string[]> {
    this.reach();
    this.calls.push(`logs ${nameOrId}`);
    const c = this.mustFind(nameOrId);
    const lines = options.lines > 0 ? c.log.slice(-options.lines) : [];
    let bytes = 0;
    const kept: string[] = [];
    for (const line of lines.reverse()) {
      bytes += Buffer.byteLength(line) + 1;
      if (bytes > options.maxBytes) break;
      kept.push(line);
    }
    return kept.reverse();
  }

  async exec(nameOrId: string): Promise<ExecResult> {
    this.reach();
    const c = this.mustFind(nameOrId);
    const behaviour = [...this.images.values()].find((i) => i.id === c.imageId)?.behaviour;
    return behaviour === 'healthy'
      ? { exitCode: 0, output: 'ok' }
      : { exitCode: 1, output: 'not ok' };
  }

  private reach(): void {
    if (this.engineDown) {
      throw new RuntimeError(
        'engine_unavailable',
        'the container engine is unavailable (connect ENOENT /run/fake-engine.sock)',
        true,
      );
    }
  }

  running(): FakeContainer[] {
    return [...this.containers.values()].filter((c) => c.running);
  }

  private storeImage(reference: string, behaviour: FakeBehaviour, digest: string) {
    const existing = [...this.images.values()].find((i) => i.repoTags.includes(reference));
    if (existing) return existing;
    const id = `sha256:${String(this.nextId++).padStart(64, 'a')}`;
    const info = {
      id,
      repoTags: [reference],
      repoDigests: [`${parseImageReference(reference).repository}@${digest}`],
      sizeBytes: 1000,
      behaviour,
    };
    this.images.set(id, info);
    return info;
  }

  private newId() {
    return `c${this.nextId++}`;
  }

  private find(nameOrId: string) {
    return (
      [...this.containers.values()].find((c) => c.id === nameOrId || c.name === nameOrId) ?? null
    );
  }

  private mustFind(nameOrId: string) {
    const c = this.find(nameOrId);
    if (!c) throw new RuntimeError('container_not_found', `no container ${nameOrId}`);
    return c;
  }
}
