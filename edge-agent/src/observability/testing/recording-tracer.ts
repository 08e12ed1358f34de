import type { AgentTracer, SpanAttributes } from '../tracer';

export interface RecordedSpan {
  name: string;
  parent: string | undefined;
  attributes: SpanAttributes;
  failed?: string;
  ended: boolean;
}

/** An AgentTracer that keeps its spans in memory, for specs. */
export function recordingTracer(): AgentTracer & { spans: RecordedSpan[] } {
  const spans: RecordedSpan[] = [];
  return {
    spans,
    enabled: true,
    startSpan(name, parent, attributes = {}) {
      const span: RecordedSpan = { name, parent, attributes: { ...attributes }, ended: false };
      spans.push(span);
      return {
        setAttributes: (more) => Object.assign(span.attributes, more),
        fail: (message) => (span.failed = message),
        end: () => (span.ended = true),
      };
    },
    shutdown: async () => undefined,
  };
}
