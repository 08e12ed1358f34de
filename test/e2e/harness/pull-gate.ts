import {
  createServer,
  request,
  type ClientRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { ENGINE_HOST } from './edge-agent';
import { eventually } from './free-port';

/** Docker API image pull, with or without a version prefix (`/v1.41/images/create?...`). */
const PULL = /\/images\/create(\?|$)/;

/**
 * A download that lasts as long as the test wants: an HTTP proxy between one agent and the
 * engine's API (point EDGE_AGENT_DOCKER_HOST at `dockerHost`) that holds every image pull,
 * unanswered, until `open()`, and passes everything else through. A pull held when the gate
 * opens stays held (the agent gave up on it); the gate drops it when closed.
 *
 * It proxies plain request/response calls only, no hijacked connections (`docker exec`): the
 * agents of this suite probe their workload over HTTP, not with exec.
 */
export class PullGate {
  private holding = true;
  private readonly held = new Set<ServerResponse>();
  private readonly upstreams = new Set<ClientRequest>();
  private readonly server: Server;
  /** Pulls the gate has held so far. */
  heldPulls = 0;
  /** `tcp://127.0.0.1:<port>`, for EDGE_AGENT_DOCKER_HOST. */
  dockerHost = '';

  private constructor(private readonly socketPath: string) {
    this.server = createServer((req, res) => this.handle(req, res));
  }

  static async start(engineHost = ENGINE_HOST): Promise<PullGate> {
    if (!engineHost.startsWith('unix://')) {
      throw new Error(`PullGate proxies a unix socket engine, not ${engineHost}`);
    }
    const gate = new PullGate(engineHost.slice('unix://'.length));
    await new Promise<void>((resolve) => gate.server.listen(0, '127.0.0.1', resolve));
    gate.dockerHost = `tcp://127.0.0.1:${(gate.server.address() as AddressInfo).port}`;
    return gate;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if (this.holding && req.method === 'POST' && PULL.test(req.url ?? '')) {
      this.heldPulls += 1;
      this.held.add(res);
      res.on('close', () => this.held.delete(res));
      return;
    }
    const upstream = request(
      { socketPath: this.socketPath, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    // A long request (an event stream, a wait) must not outlive its caller or the gate: an
    // open socket to the engine would keep the test process alive after the suite.
    res.on('close', () => upstream.destroy());
    this.upstreams.add(upstream);
    upstream.on('close', () => this.upstreams.delete(upstream));
    req.pipe(upstream);
  }

  /** Pulls held now: a caller that gives up on its pull closes the request and leaves this count. */
  get pullsHeldNow(): number {
    return this.held.size;
  }

  /** Resolves once the agent has asked the engine for a pull that the gate holds. */
  waitForHeldPull(timeoutMs = 30_000): Promise<true> {
    return eventually('a pull held at the gate', async () => this.heldPulls > 0 || undefined, {
      timeoutMs,
      intervalMs: 50,
    });
  }

  /** Pulls from now on go through. */
  open(): void {
    this.holding = false;
  }

  async close(): Promise<void> {
    for (const res of this.held) res.destroy();
    for (const upstream of this.upstreams) upstream.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
