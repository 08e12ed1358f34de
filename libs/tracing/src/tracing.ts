/**
 * The tracing port: spans of a process's own work (an HTTP request, a command published, a
 * status report ingested, a step of an update on a device), parented by a W3C `traceparent`
 * carried as plain text (in request headers, the events' metadata, MQTT envelopes). Nothing
 * here names OpenTelemetry: the adapter, otel-tracing.ts, is loaded by `exportTraces` only.
 */
export type SpanKind = 'server' | 'client' | 'producer' | 'consumer' | 'internal';

export type SpanAttributes = Record<string, string | number | boolean | undefined>;

export interface SpanOptions {
  /** The caller's `traceparent`; none (or an invalid one): the span starts a new trace. */
  parent?: string;
  kind?: SpanKind;
  attributes?: SpanAttributes;
}

export interface TraceSpan {
  /**
   * This span's `traceparent`, for what the work causes (events, commands). Without tracing,
   * the parent's, passed through unchanged: a caller's trace still reaches the device.
   */
  readonly traceparent: string | undefined;
  setAttributes(attributes: SpanAttributes): void;
  updateName(name: string): void;
  /** Marks the span failed with what was thrown. */
  fail(error: unknown): void;
  /** Ends the span; once. */
  end(): void;
}

export interface Tracing {
  /** False without an exporter: callers may skip building attributes. */
  readonly enabled: boolean;
  startSpan(name: string, options?: SpanOptions): TraceSpan;
  /** Exports what is buffered and stops; spans started after it are not exported. */
  shutdown(): Promise<void>;
}

/** Tracing off: no span, no cost; a parent's traceparent passes through unchanged. */
export const NO_TRACING: Tracing = {
  enabled: false,
  startSpan: (_name, options) => ({
    traceparent: options?.parent,
    setAttributes: () => undefined,
    updateName: () => undefined,
    fail: () => undefined,
    end: () => undefined,
  }),
  shutdown: async () => undefined,
};

/** Runs `work` in a span that ends when it settles, failed when it throws. */
export async function inSpan<T>(
  tracing: Tracing,
  name: string,
  options: SpanOptions,
  work: (span: TraceSpan) => Promise<T>,
): Promise<T> {
  const span = tracing.startSpan(name, options);
  try {
    return await work(span);
  } catch (error) {
    span.fail(error);
    throw error;
  } finally {
    span.end();
  }
}
