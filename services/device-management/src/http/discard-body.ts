import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * For routes outside Nest that take no body (the OpenAPI page and document): reads whatever
 * body came and drops it before answering. Answering with part of a body still unread and
 * then closing makes the kernel reset the connection, and the client can lose the answer
 * (seen with a 200 KB body on GET /docs/swagger-ui-init.js, a file as large as the document).
 * Nest's routes read their bodies themselves (JsonBodyGuard); never use this on them.
 */
export function discardBody(
  request: IncomingMessage,
  _response: ServerResponse,
  next: () => void,
): void {
  const length = request.headers['content-length'];
  const hasBody =
    request.headers['transfer-encoding'] !== undefined || (!!length && length !== '0');
  if (!hasBody || request.readableEnded) return next();
  request.once('end', () => next());
  request.once('error', () => next());
  request.resume();
}
