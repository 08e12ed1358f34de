import type { Logger } from 'pino';
import type { TracingSettings } from '../config/agent-settings';
import { NO_TRACER, type AgentTracer } from './tracer';

/**
 * The agent's tracer: OpenTelemetry over OTLP/HTTP when an endpoint is configured, otherwise
 * NO_TRACER, and then the SDK is never evaluated (its modules stay unloaded in the bundle too).
 */
export async function startTracer(
  settings: TracingSettings | undefined,
  device: { tenantId: string; clientId: string; agentVersion: string },
  logger: Logger,
): Promise<AgentTracer> {
  if (!settings) return NO_TRACER;
  const { startOtelTracer } = await import('./otel-tracer');
  logger.info(
    { tracesUrl: settings.tracesUrl, serviceName: settings.serviceName },
    'exporting traces of jobs over OTLP/HTTP',
  );
  return startOtelTracer(settings, device);
}
