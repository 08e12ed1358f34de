import { exportTraces } from '@opcfleet/tracing';
import type { Logger } from 'pino';
import type { TracingSettings } from '../config/agent-settings';
import { NO_TRACER, tracerOver, type AgentTracer } from './tracer';

/**
 * The agent's tracer: OpenTelemetry over OTLP/HTTP when an endpoint is configured, with the
 * device's tenant and client as resource attributes and a small export queue; otherwise
 * NO_TRACER, and then the SDK is never evaluated (its modules stay unloaded in the bundle too).
 */
export async function startTracer(
  settings: TracingSettings | undefined,
  device: { tenantId: string; clientId: string; agentVersion: string },
  logger: Logger,
): Promise<AgentTracer> {
  if (!settings) return NO_TRACER;
  logger.info(
    { tracesUrl: settings.tracesUrl, serviceName: settings.serviceName },
    'exporting traces of jobs over OTLP/HTTP',
  );
  const tracing = await exportTraces({
    ...settings,
    tracerName: 'opcfleet-edge-agent',
    resource: {
      'service.version': device.agentVersion,
      'service.instance.id': `${device.tenantId}/${device.clientId}`,
      'opcfleet.tenant.id': device.tenantId,
      'opcfleet.client.id': device.clientId,
    },
    // A device's budget: a small queue, dropped beyond (a collector away for long).
    maxQueueSize: 256,
    maxExportBatchSize: 64,
  });
  return tracerOver(tracing);
}
