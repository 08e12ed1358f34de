import { parseTraceparent } from '@opcfleet/contracts';
import type { Tracing } from '@opcfleet/tracing';

/**
 * The agent's tracing port: spans of a job's steps, parented by the W3C `traceparent` the
 * job's command carried. No OpenTelemetry here (the update machine and the config applier use
 * this); tracing.ts puts it over the shared exporter (libs/tracing) when an endpoint is set.
 */
export type SpanAttributes = Record<string, string | number | boolean | undefined>;

export interface StepSpan {
  setAttributes(attributes: SpanAttributes): void;
  /** Marks the span failed, with why. */
  fail(message: string): void;
  /** Ends the span; once. */
  end(): void;
}

export interface AgentTracer {
  /** False without an exporter: callers may skip building attributes. */
  readonly enabled: boolean;
  /** A span in the trace of `parent`; none: nothing is recorded (a job without a trace). */
  startSpan(name: string, parent: string | undefined, attributes?: SpanAttributes): StepSpan;
  /** Exports what is buffered; spans started later are not exported. */
  shutdown(): Promise<void>;
}

const NO_SPAN: StepSpan = {
  setAttributes: () => undefined,
  fail: () => undefined,
  end: () => undefined,
};

/** Tracing off: nothing is recorded, and nothing is loaded. */
export const NO_TRACER: AgentTracer = {
  enabled: false,
  startSpan: () => NO_SPAN,
  shutdown: async () => undefined,
};

/**
 * The agent's tracer over a Tracing. Only spans with a valid parent are recorded: a job whose
 * command carried no `traceparent` (an older service, tracing off there) is not traced on the
 * device either, rather than each of its steps starting a trace of its own.
 */
export function tracerOver(tracing: Tracing): AgentTracer {
  return {
    enabled: tracing.enabled,
    startSpan(name, parent, attributes) {
      if (!parseTraceparent(parent)) return NO_SPAN;
      return tracing.startSpan(name, { parent, kind: 'internal', attributes });
    },
    shutdown: () => tracing.shutdown(),
  };
}
