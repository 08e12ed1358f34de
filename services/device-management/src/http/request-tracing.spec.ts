import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { NO_TRACING, type SpanOptions, type TraceSpan, type Tracing } from '../shared/tracing';
import { incomingTraceparent, requestTracing, type TracedRequest } from './request-tracing';

const VALID = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const CHILD = '00-4bf92f3577b34da6a3ce929d0e0e4736-b7ad6b7169203331-01';

const requestWith = (headers: IncomingMessage['headers'], url = '/api/v1/clients/c/update') =>
  ({ headers, method: 'POST', url, originalUrl: url }) as TracedRequest;

/** Records the spans started, each ended or not, with their names and attributes. */
function recordingTracing() {
  const spans: Array<{
    name: string;
    options?: SpanOptions;
    attributes: Record<string, unknown>;
    failed?: unknown;
    ended: number;
  }> = [];
  const tracing: Tracing = {
    enabled: true,
    startSpan(name, options): TraceSpan {
      const span = { name, options, attributes: {}, ended: 0 } as (typeof spans)[number];
      spans.push(span);
      return {
        traceparent: CHILD,
        setAttributes: (attributes) => Object.assign(span.attributes, attributes),
        updateName: (newName) => (span.name = newName),
        fail: (error) => (span.failed = error),
        end: () => span.ended++,
      };
    },
    shutdown: async () => undefined,
  };
  return { tracing, spans };
}

describe('the traceparent header of a request', () => {
  it('is taken when it is valid (a later version is read as version 00)', () => {
    expect(incomingTraceparent(requestWith({ traceparent: VALID }))).toBe(VALID);
    expect(
      incomingTraceparent(requestWith({ traceparent: `${VALID.replace(/^00/, '01')}-more` })),
    ).toBe(VALID);
  });

  it('is ignored when it is malformed or missing: a new trace starts, no error', () => {
    for (const traceparent of ['', 'garbage', VALID.toUpperCase(), `${VALID}-x`, undefined]) {
      expect(incomingTraceparent(requestWith({ traceparent }))).toBeUndefined();
    }
  });
});

describe('requestTracing', () => {
  it('starts a server span under the caller, names it by route and ends it with the response', () => {
    const { tracing, spans } = recordingTracing();
    const request = requestWith({ traceparent: VALID });
    const response = Object.assign(new EventEmitter(), {
      statusCode: 202,
    }) as never as ServerResponse;
    const next = jest.fn();
    requestTracing(tracing)(request, response, next);
    expect(next).toHaveBeenCalled();
    expect(request.traceparent).toBe(CHILD);
    expect(spans[0].options).toMatchObject({ parent: VALID, kind: 'server' });

    request.route = { path: '/api/v1/clients/:clientId/update' };
    response.emit('finish');
    response.emit('close');
    expect(spans).toEqual([
      expect.objectContaining({
        name: 'POST /api/v1/clients/:clientId/update',
        attributes: expect.objectContaining({ 'http.response.status_code': 202 }),
        ended: 1,
      }),
    ]);
  });

  it('marks a 5xx answer failed', () => {
    const { tracing, spans } = recordingTracing();
    const response = Object.assign(new EventEmitter(), {
      statusCode: 503,
    }) as never as ServerResponse;
    requestTracing(tracing)(requestWith({}), response, () => undefined);
    response.emit('finish');
    expect(spans[0].failed).toBe('HTTP 503');
  });

  it('leaves probes out, and without tracing passes the caller trace on unchanged', () => {
    const { tracing, spans } = recordingTracing();
    const probe = requestWith({ traceparent: VALID }, '/health');
    requestTracing(tracing)(probe, new EventEmitter() as never, () => undefined);
    expect(spans).toEqual([]);

    const request = requestWith({ traceparent: VALID });
    requestTracing(NO_TRACING)(request, new EventEmitter() as never, () => undefined);
    expect(request.traceparent).toBe(VALID);
  });
});
