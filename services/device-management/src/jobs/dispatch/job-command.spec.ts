import { decodeConfigCommand, decodeUpdateCommand } from '@opcfleet/contracts';
import type { RecordedEvent } from '@opcfleet/event-store';
import { buildJobCommand } from './job-command';

const requested = (overrides: Partial<RecordedEvent> = {}, data: object = {}): RecordedEvent => ({
  id: '0d9e3a46-5a43-4b8e-9a33-6e1b7c2a1f00',
  streamName: 'update-job-6f1c2b3a-1d2e-4f5a-8b9c-0d1e2f3a4b5c',
  type: 'UpdateRequested',
  revision: 0,
  position: '1',
  recordedAt: new Date('2026-01-01T00:00:00Z'),
  metadata: { correlationId: 'corr-42', tenantId: 'acme' },
  data: {
    jobId: '6f1c2b3a-1d2e-4f5a-8b9c-0d1e2f3a4b5c',
    tenantId: 'acme',
    clientId: 'line-1',
    targetVersion: '2.1.0',
    image: 'registry.example.com/opc-core:2.1.0',
    requestedAt: '2026-01-01T00:00:00.000Z',
    ...data,
  },
  ...overrides,
});

describe('buildJobCommand', () => {
  it('builds an update command that the agent decodes, on the client command topic', () => {
    const result = buildJobCommand(requested() as never, 60_000);
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    const { command } = result;
    expect(command.topic).toBe('tenants/acme/clients/line-1/commands/update');
    expect(command.correlationId).toBe('corr-42');
    expect(command.expiresAt.toISOString()).toBe('2026-01-01T00:01:00.000Z');
    const decoded = decodeUpdateCommand(JSON.stringify(command.envelope));
    expect(decoded).toMatchObject({
      ok: true,
      value: {
        jobId: '6f1c2b3a-1d2e-4f5a-8b9c-0d1e2f3a4b5c',
        messageId: command.messageId,
        issuedAt: '2026-01-01T00:00:00.000Z',
        payload: { targetVersion: '2.1.0', image: 'registry.example.com/opc-core:2.1.0' },
      },
    });
  });

  it('gives the same messageId every time for the same event, another for another event', () => {
    const a = buildJobCommand(requested() as never, 1000);
    const again = buildJobCommand(requested() as never, 1000);
    const other = buildJobCommand(
      requested({ id: '1d9e3a46-5a43-4b8e-9a33-6e1b7c2a1f00' }) as never,
      1000,
    );
    if (!a.ok || !again.ok || !other.ok) throw new Error('unexpected invalid command');
    expect(again.command.messageId).toBe(a.command.messageId);
    expect(other.command.messageId).not.toBe(a.command.messageId);
    // Never the event id itself: the store treats a reused event id as an idempotent append.
    expect(a.command.messageId).not.toBe('0d9e3a46-5a43-4b8e-9a33-6e1b7c2a1f00');
  });

  it("carries the request's trace context in the envelope, the same bytes every time", () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const event = requested({ metadata: { correlationId: 'corr-42', traceparent } });
    const a = buildJobCommand(event as never, 1000);
    const again = buildJobCommand(event as never, 1000);
    if (!a.ok || !again.ok) throw new Error('unexpected invalid command');
    expect(a.command.traceparent).toBe(traceparent);
    expect(a.command.envelope.traceparent).toBe(traceparent);
    expect(JSON.stringify(again.command.envelope)).toBe(JSON.stringify(a.command.envelope));
  });

  it('leaves out a trace context the metadata lacks or holds malformed', () => {
    for (const metadata of [{}, { traceparent: 'not-one' }, { traceparent: 42 }]) {
      const result = buildJobCommand(requested({ metadata }) as never, 1000);
      if (!result.ok) throw new Error('unexpected invalid command');
      expect('traceparent' in result.command.envelope).toBe(false);
      expect(result.command.traceparent).toBeUndefined();
    }
  });

  it('keeps the expiry the job asked for', () => {
    const result = buildJobCommand(
      requested({}, { expiresAt: '2026-01-01T00:05:00.000Z' }) as never,
      60_000,
    );
    expect(result.ok && result.command.expiresAt.toISOString()).toBe('2026-01-01T00:05:00.000Z');
  });

  it('builds a config command', () => {
    const result = buildJobCommand(
      requested(
        { type: 'ConfigChangeRequested', streamName: 'config-job-x' },
        { version: 3, settings: { endpoints: [] } },
      ) as never,
      60_000,
    );
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.command.topic).toBe('tenants/acme/clients/line-1/commands/config');
    expect(decodeConfigCommand(JSON.stringify(result.command.envelope))).toMatchObject({
      ok: true,
      value: { payload: { version: 3, settings: { endpoints: [] } } },
    });
  });

  it('reports field errors instead of building an envelope the device would drop', () => {
    const result = buildJobCommand(requested({}, { image: 'NOT AN IMAGE' }) as never, 60_000);
    expect(result).toEqual({
      ok: false,
      errors: [expect.objectContaining({ path: 'payload.image' })],
    });
  });
});
