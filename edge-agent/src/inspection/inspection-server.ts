import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { AgentMetrics } from './agent-metrics';

export interface InspectionSources {
  metrics: AgentMetrics;
  /** Liveness details; `ok: false` answers 503. */
  health(): Promise<{ ok: boolean; [detail: string]: unknown }>;
  state(): Promise<unknown>;
}

/**
 * The local window for SREs on the device: `/healthz`, `/state`, `/metrics`. Read-only, and on
 * loopback unless configured otherwise: it changes nothing, but it shows the device's state.
 */
export class InspectionServer {
  private server: Server | null = null;

  constructor(
    private readonly sources: InspectionSources,
    private readonly logger: Logger,
  ) {}

  async listen(host: string, port: number): Promise<number> {
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      const respond = async () => {
        if (req.method !== 'GET')
          return { status: 405, type: 'text/plain', body: 'method not allowed\n' };
        if (path === '/healthz') {
          const health = await this.sources.health();
          return {
            status: health.ok ? 200 : 503,
            type: 'application/json',
            body: JSON.stringify(health),
          };
        }
        if (path === '/state') {
          return {
            status: 200,
            type: 'application/json',
            body: JSON.stringify(await this.sources.state(), null, 2),
          };
        }
        if (path === '/metrics') {
          return {
            status: 200,
            type: this.sources.metrics.registry.contentType,
            body: await this.sources.metrics.text(),
          };
        }
        return {
          status: 404,
          type: 'text/plain',
          body: 'not found: try /healthz, /state or /metrics\n',
        };
      };
      respond().then(
        ({ status, type, body }) => res.writeHead(status, { 'content-type': type }).end(body),
        (err) => {
          this.logger.error({ err, path }, 'inspection request failed');
          res.writeHead(500, { 'content-type': 'text/plain' }).end(`${(err as Error).message}\n`);
        },
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    return (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
