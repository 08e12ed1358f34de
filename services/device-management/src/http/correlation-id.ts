import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export const CORRELATION_HEADER = 'x-correlation-id';
const SAFE = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The caller's correlation id when it sent a sane one, a new UUID otherwise; echoed in the
 * response. pino-http uses it as the request id, so it is on every log line of the request.
 */
export function correlationIdOf(request: IncomingMessage, response: ServerResponse): string {
  const sent = request.headers[CORRELATION_HEADER];
  const id = typeof sent === 'string' && SAFE.test(sent) ? sent : randomUUID();
  response.setHeader(CORRELATION_HEADER, id);
  return id;
}
