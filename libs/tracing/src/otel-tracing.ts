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
import type { SpanAttributes, SpanKind, TraceSpan, Tracing } from './tracing';

export interface OtelTracingOptions {
  /** `service.name` of every span. */
  serviceName: string;
  /** The collector's OTLP/HTTP traces endpoint. */
  tracesUrl: string;
  /** How long spans wait in the batch before export. */
  exportDelayMs: number;
  /** Name of the instrumentation scope (the tracer). */
  tracerName: string;
  /** More attributes of the resource (the process, the device). */
  resource?: Record<string, string>;
  /** A small process's budget: spans queued at most (beyond, new ones are dropped), per export. */
  maxQueueSize?: number;
  maxExportBatchSize?: number;
}

const KINDS: Record<SpanKind, OtelSpanKind> = {
  server: OtelSpanKind.SERVER,
  client: OtelSpanKind.CLIENT,
  producer: OtelSpanKind.PRODUCER,
  consumer: OtelSpanKind.CONSUMER,
  internal: OtelSpanKind.INTERNAL,
};

/**
 * The Tracing port over the OpenTelemetry SDK, for the service and the agent alike: spans are
 * batched and exported over OTLP/HTTP (JSON). No global provider and no context manager: the
 * parent of every span is the `traceparent` handed in, as it travels through events and
 * messages anyway. Sampling follows the parent's flag (parent-based, always on for a new trace).
 */
export function startOtelTracing(options: OtelTracingOptions): Tracing {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName, ...options.resource }),
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url: options.tracesUrl }), {
        scheduledDelayMillis: options.exportDelayMs,
        ...(options.maxQueueSize && { maxQueueSize: options.maxQueueSize }),
        ...(options.maxExportBatchSize && { maxExportBatchSize: options.maxExportBatchSize }),
      }),
    ],
  });
  const tracer = provider.getTracer(options.tracerName);
  return {
    enabled: true,
    startSpan(name, spanOptions = {}): TraceSpan {
      const parent = parseTraceparent(spanOptions.parent);
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
        {
          kind: KINDS[spanOptions.kind ?? 'internal'],
          attributes: defined(spanOptions.attributes),
        },
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
