import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { parseTraceparent } from '@opcfleet/contracts';
import type { TracingSettings } from '../config/agent-settings';
import type { AgentTracer, SpanAttributes, StepSpan } from './tracer';

/**
 * The AgentTracer over the OpenTelemetry SDK: spans batched and exported over OTLP/HTTP (JSON)
 * to `settings.tracesUrl`, with the device's tenant and client as resource attributes. Only
 * spans with a parent are recorded: a job whose command carried no `traceparent` (an older
 * service, tracing off there) is not traced on the device either. No global provider and no
 * context manager: every parent is handed in.
 */
export function startOtelTracer(
  settings: TracingSettings,
  device: { tenantId: string; clientId: string; agentVersion: string },
): AgentTracer {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      'service.name': settings.serviceName,
      'service.version': device.agentVersion,
      'service.instance.id': `${device.tenantId}/${device.clientId}`,
      'opcfleet.tenant.id': device.tenantId,
      'opcfleet.client.id': device.clientId,
    }),
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url: settings.tracesUrl }), {
        scheduledDelayMillis: settings.exportDelayMs,
        // A device's budget: a small queue, dropped beyond (a collector away for long).
        maxQueueSize: 256,
        maxExportBatchSize: 64,
      }),
    ],
  });
  const tracer = provider.getTracer('opcfleet-edge-agent');
  const noSpan: StepSpan = {
    setAttributes: () => undefined,
    fail: () => undefined,
    end: () => undefined,
  };
  return {
    enabled: true,
    startSpan(name, parent, attributes): StepSpan {
      const parsed = parseTraceparent(parent);
      if (!parsed) return noSpan;
      const parentContext = trace.setSpanContext(ROOT_CONTEXT, {
        traceId: parsed.traceId,
        spanId: parsed.spanId,
        traceFlags: parsed.flags,
        isRemote: true,
      });
      const span = tracer.startSpan(
        name,
        { kind: SpanKind.INTERNAL, attributes: defined(attributes) },
        parentContext,
      );
      return {
        setAttributes: (more) => span.setAttributes(defined(more)),
        fail: (message) =>
          span.setStatus({ code: SpanStatusCode.ERROR, message: message.slice(0, 1024) }),
        end: () => span.end(),
      };
    },
    shutdown: () => provider.shutdown(),
  };
}

function defined(attributes: SpanAttributes | undefined): Attributes {
  const result: Attributes = {};
  for (const [key, value] of Object.entries(attributes ?? {})) {
    if (value !== undefined) result[key] = value;
  }
  return result;
}
