import type { IncomingMessage, ServerResponse } from 'node:http';
import { normalizeTraceparent, parseTraceparent } from '@opcfleet/contracts';
import type { Logger } from 'pino';
import type { Tracing } from '../shared/tracing';

export const TRACEPARENT_HEADER = 'traceparent';
/** Probes and scrapes: not worth a span each. */
const UNTRACED = new Set(['/health', '/metrics']);

export type TracedRequest = IncomingMessage & {
  /** The trace context of the request, for the metadata of the events it causes. */
  traceparent?: string;
  log?: Logger;
  route?: { path?: string };
  originalUrl?: string;
};

/**
 * The caller's W3C `traceparent` header when it is valid; anything else (missing, malformed,
 * sent twice) is no parent, and the request starts a new trace: never an error.
 */
export function incomingTraceparent(request: IncomingMessage): string | undefined {
  const sent = request.headers[TRACEPARENT_HEADER];
  return typeof sent === 'string' ? normalizeTraceparent(sent) : undefined;
}

/**
 * A server span per request, child of the caller's `traceparent` (a new trace without a valid
 * one), named `{method} {route}` once the route is known and ended with the response. Its
 * traceparent is `request.traceparent`, which RequestContext copies into the events' metadata.
 * Without tracing the caller's traceparent is passed on as it came.
 */
export function requestTracing(tracing: Tracing) {
  return (request: TracedRequest, response: ServerResponse, next: () => void) => {
    const parent = incomingTraceparent(request);
    const path = (request.originalUrl ?? request.url ?? '').split('?')[0]!;
    if (!tracing.enabled || UNTRACED.has(path)) {
      request.traceparent = parent;
      return next();
    }
    const method = request.method ?? 'GET';
    const span = tracing.startSpan(method, {
      parent,
      kind: 'server',
      attributes: { 'http.request.method': method, 'url.path': path },
    });
    request.traceparent = span.traceparent;
    const traceId = parseTraceparent(span.traceparent)?.traceId;
    if (traceId && request.log) request.log = request.log.child({ traceId });
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      const route = request.route?.path;
      if (route) span.updateName(`${method} ${route}`);
      span.setAttributes({
        'http.route': route,
        'http.response.status_code': response.statusCode,
      });
      if (response.statusCode >= 500) span.fail(`HTTP ${response.statusCode}`);
      span.end();
    };
    response.on('finish', end);
    response.on('close', end);
    next();
  };
}
