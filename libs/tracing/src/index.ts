import type { OtelTracingOptions } from './otel-tracing';
import type { Tracing } from './tracing';

export * from './tracing';
export type { OtelTracingOptions } from './otel-tracing';

/**
 * Tracing that exports spans over OTLP/HTTP. The OpenTelemetry SDK is loaded here, at the first
 * call: a process that never calls it (no endpoint configured) never evaluates the SDK, in a
 * bundle neither.
 */
export async function exportTraces(options: OtelTracingOptions): Promise<Tracing> {
  const { startOtelTracing } = await import('./otel-tracing');
  return startOtelTracing(options);
}
