import {
  ROOT_CONTEXT,
  SpanKind as OtelSpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { formatTraceparent, parseTraceparent } from '@opcfleet/contracts';
import type { TracingConfig } from '../config/app.config';
import type { SpanAttributes, SpanKind, TraceSpan, Tracing } from '../shared/tracing';

const KINDS: Record<SpanKind, OtelSpanKind> = {
  server: OtelSpanKind.SERVER,
  client: OtelSpanKind.CLIENT,
  producer: OtelSpanKind.PRODUCER,
  consumer: OtelSpanKind.CONSUMER,
  internal: OtelSpanKind.INTERNAL,
};

/**
 * The Tracing port over the OpenTelemetry SDK: spans are batched and exported over OTLP/HTTP
 * (JSON) to `config.tracesUrl`. No global provider and no context manager: the parent of every
 * span is the `traceparent` handed in, as it travels through events and messages anyway.
 * Sampling follows the parent's flag (parent-based, always on for a new trace). Loaded by
 * tracing.ts only when an endpoint is configured.
 */
export function startOtelTracing(config: TracingConfig): Tracing {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': config.serviceName }),
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url: config.tracesUrl }), {
        scheduledDelayMillis: config.exportDelayMs,
      }),
    ],
  });
  const tracer = provider.getTracer('opcfleet');
  return {
    enabled: true,
    startSpan(name, options = {}): TraceSpan {
      const parent = parseTraceparent(options.parent);
      const parentContext = parent
        ? trace.setSpanContext(ROOT_CONTEXT, {
            traceId: parent.traceId,
            spanId: parent.spanId,
            traceFlags: parent.flags,
            isRemote: true,
          })
        : ROOT_CONTEXT;
      const span = tracer.startSpan(
        name,
        { kind: KINDS[options.kind ?? 'internal'], attributes: defined(options.attributes) },
        parentContext,
      );
      const { traceId, spanId, traceFlags } = span.spanContext();
      return {
        traceparent: formatTraceparent({ traceId, spanId, flags: traceFlags }),
        setAttributes: (attributes) => span.setAttributes(defined(attributes)),
        updateName: (newName) => span.updateName(newName),
        fail: (error) => {
          const message = error instanceof Error ? error.message : String(error);
          span.setStatus({ code: SpanStatusCode.ERROR, message: message.slice(0, 1024) });
        },
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
