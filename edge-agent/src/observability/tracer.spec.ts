import type { SpanOptions, TraceSpan, Tracing } from '@opcfleet/tracing';
import { tracerOver } from './tracer';

const PARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

/** A Tracing that keeps what it was asked for. */
function recordingTracing() {
  const started: Array<{ name: string; options: SpanOptions; calls: string[] }> = [];
  const tracing: Tracing = {
    enabled: true,
    startSpan(name, options = {}): TraceSpan {
      const calls: string[] = [];
      started.push({ name, options, calls });
      return {
        traceparent: options.parent,
        setAttributes: (attributes) => calls.push(`attributes ${JSON.stringify(attributes)}`),
        updateName: (newName) => calls.push(`name ${newName}`),
        fail: (error) => calls.push(`fail ${String(error)}`),
        end: () => calls.push('end'),
      };
    },
    shutdown: async () => undefined,
  };
  return { tracing, started };
}

describe('the agent tracer over the shared Tracing', () => {
  it('records a step as an internal span under the command traceparent', () => {
    const { tracing, started } = recordingTracing();
    const span = tracerOver(tracing).startSpan('update pull', PARENT, { 'opcfleet.job.id': 'j' });
    span.setAttributes({ 'opcfleet.update.bytes': 10 });
    span.fail('the registry refused');
    span.end();

    expect(started).toEqual([
      {
        name: 'update pull',
        options: { parent: PARENT, kind: 'internal', attributes: { 'opcfleet.job.id': 'j' } },
        calls: ['attributes {"opcfleet.update.bytes":10}', 'fail the registry refused', 'end'],
      },
    ]);
  });

  it('records nothing for a job whose command carried no valid traceparent', () => {
    const { tracing, started } = recordingTracing();
    const tracer = tracerOver(tracing);
    for (const parent of [undefined, '', 'not-a-traceparent']) {
      const span = tracer.startSpan('update swap', parent);
      span.setAttributes({ a: 1 });
      span.end();
    }
    expect(started).toEqual([]);
  });
});
