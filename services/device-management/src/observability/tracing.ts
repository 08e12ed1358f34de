import { exportTraces } from '@opcfleet/tracing';
import type { Logger } from 'pino';
import type { TracingConfig } from '../config/app.config';
import { NO_TRACING, type Tracing } from '../shared/tracing';

/**
 * The service's Tracing: OpenTelemetry exporting over OTLP/HTTP when the config names an
 * endpoint, otherwise NO_TRACING, and then the OpenTelemetry SDK is not even loaded.
 */
export async function startTracing(
  config: TracingConfig | undefined,
  logger: Logger,
): Promise<Tracing> {
  if (!config) return NO_TRACING;
  logger.info(
    { tracesUrl: config.tracesUrl, serviceName: config.serviceName },
    'exporting traces over OTLP/HTTP',
  );
  return exportTraces({ ...config, tracerName: 'opcfleet' });
}
