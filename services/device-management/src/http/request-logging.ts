import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { correlationIdOf } from './correlation-id';
import type { ServiceMetrics } from '../observability/service-metrics';

const QUIET = new Set(['/health', '/metrics']);

/**
 * Gives every request its correlation id (`req.id`) and a child logger carrying it
 * (`req.log`), logs one line when the response is finished, and times it for /metrics.
 * (pino-http 11 needs pino 10; the service runs pino 9, so this small middleware stands in.)
 */
export function requestLogging(logger: Logger, metrics: ServiceMetrics) {
  return (
    request: IncomingMessage & {
      id?: string;
      log?: Logger;
      route?: { path?: string };
      originalUrl?: string;
    },
    response: ServerResponse,
    next: () => void,
  ) => {
    const started = process.hrtime.bigint();
    request.id = correlationIdOf(request, response);
    request.log = logger.child({ correlationId: request.id });
    response.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = request.route?.path ?? 'unmatched';
      metrics.httpDuration.observe(
        { method: request.method ?? '', route, status: String(response.statusCode) },
        seconds,
      );
      const url = withoutToken(request.originalUrl ?? request.url ?? '');
      if (QUIET.has(url)) return;
      request.log!.info(
        {
          method: request.method,
          url,
          status: response.statusCode,
          ms: Math.round(seconds * 1e4) / 10,
        },
        'request completed',
      );
    });
    next();
  };
}

/** The console's EventSource sends its token in the query (`?access_token=`): never log it. */
export function withoutToken(url: string): string {
  return url.replace(/([?&]access_token=)[^&]*/gi, '$1[redacted]');
}
