import type { Server } from 'node:http';

/**
 * How long an idle keep-alive connection stays open: longer than the proxy in front keeps its
 * idle upstream connections (Kong's default, 60 s), so that the proxy closes them, never this
 * server. With Node's default of 5 s, a request the proxy sends on a connection this server is
 * closing at that moment fails, and the caller sees a 502.
 */
export const IDLE_CONNECTION_TIMEOUT_MS = 65_000;

export function keepIdleConnectionsOpen(server: Server): void {
  server.keepAliveTimeout = IDLE_CONNECTION_TIMEOUT_MS;
  // The headers of the next request on a kept connection may take as long to start.
  server.headersTimeout = IDLE_CONNECTION_TIMEOUT_MS + 1_000;
}
