import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOCKER_HOST } from './workload-fixture';

/** Docker API image pull, with or without a version prefix (`/v1.41/images/create?...`). */
const PULL_REQUEST = /^POST \S*\/images\/create[?\s]/m;

/**
 * A unix socket in front of the engine's, for tests of an engine that goes away: `cut()` drops
 * every connection (requests in flight end with ECONNRESET) and removes the socket (new ones
 * get ENOENT), `restore()` listens again. Bytes pass through untouched, so hijacked
 * connections (`exec`) work too. Only this proxy goes away: the engine and everyone else's
 * use of it carry on.
 */
export class EngineSocketProxy {
  /** unix://... for DockerodeRuntime and EDGE_AGENT_DOCKER_HOST. */
  readonly dockerHost: string;
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private cutOnPull: (() => void) | null = null;

  private constructor(
    private readonly dir: string,
    private readonly socketPath: string,
    private readonly upstreamPath: string,
  ) {
    this.dockerHost = `unix://${socketPath}`;
  }

  static async start(upstream = DOCKER_HOST): Promise<EngineSocketProxy> {
    const dir = await mkdtemp(join(tmpdir(), 'engine-proxy-'));
    const proxy = new EngineSocketProxy(
      dir,
      join(dir, 'engine.sock'),
      upstream.replace(/^unix:\/\//, ''),
    );
    await proxy.restore();
    return proxy;
  }

  /** Listens (again) on the socket. */
  async restore(): Promise<void> {
    if (this.server) return;
    const server = createServer((client) => this.pipe(client));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.socketPath, () => resolve());
    });
  }

  /** The engine goes away: open connections break, the socket file is gone. */
  async cut(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(this.socketPath, { force: true });
  }

  /**
   * Resolves once the next image pull has begun (the engine has started answering it) and the
   * proxy has cut the engine away in the middle of it, before the caller saw any of the answer.
   */
  cutDuringNextPull(): Promise<void> {
    return new Promise((resolve) => {
      this.cutOnPull = () => {
        this.cutOnPull = null;
        void this.cut().then(resolve);
      };
    });
  }

  async close(): Promise<void> {
    await this.cut();
    await rm(this.dir, { recursive: true, force: true });
  }

  private pipe(client: Socket): void {
    const upstream = connect(this.upstreamPath);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    let pulling = false;
    client.on('data', (chunk: Buffer) => {
      if (this.cutOnPull && PULL_REQUEST.test(chunk.toString('latin1'))) pulling = true;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      // The first bytes of the answer: the engine is pulling. Cut now, mid-download, before
      // the caller has any of it (a small image may come in one chunk, the end included).
      if (pulling && this.cutOnPull) this.cutOnPull();
      else client.write(chunk);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }
}
