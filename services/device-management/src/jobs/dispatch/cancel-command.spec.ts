import { updateJobStream } from '../../shared/domain/stream-names';
import { decodeCancelCommand } from '@opcfleet/contracts';
import type { CommittedEvent } from '../../event-sourcing/local-commits';
import { buildCancelCommand, type CancelEvent } from './cancel-command';
import type { JobCommand } from './job-command';

const jobId = '6f1c2b3a-1d2e-4f5a-8b9c-0d1e2f3a4b5c';
const jobCommand = {
  kind: 'update',
  jobId,
  tenantId: 'acme',
  clientId: 'line-1',
  correlationId: 'corr-request',
  expiresAt: new Date('2026-01-01T01:00:00Z'),
} as JobCommand;

const cancelled = (data: object = {}, metadata: object = { correlationId: 'corr-cancel' }) =>
  ({
    id: '0d9e3a46-5a43-4b8e-9a33-6e1b7c2a1f00',
    streamName: updateJobStream('acme', jobId),
    type: 'UpdateCancelled',
    revision: 3,
    recordedAt: new Date('2026-01-01T00:10:00Z'),
    metadata,
    data: { jobId, at: '2026-01-01T00:10:00.000Z', ...data },
  }) as CommittedEvent as CancelEvent;

const build = (event: CancelEvent, expiryMs = 60_000) => {
  const result = buildCancelCommand(event, jobCommand, expiryMs);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.command;
};

describe('buildCancelCommand', () => {
  it('builds a cancel the agent decodes, on the client cancel topic', () => {
    const command = build(cancelled({ reason: 'wrong image tag' }));
    expect(command.topic).toBe('tenants/acme/clients/line-1/commands/cancel');
    expect(decodeCancelCommand(JSON.stringify(command.envelope))).toMatchObject({
      ok: true,
      value: {
        jobId,
        correlationId: 'corr-cancel',
        issuedAt: '2026-01-01T00:10:00.000Z',
        payload: { jobKind: 'update', reason: 'wrong image tag' },
      },
    });
  });

  it('has one messageId per job, whichever cancel event or publish it comes from', () => {
    const again = build(cancelled({}, {}));
    expect(again.messageId).toBe(build(cancelled()).messageId);
    expect(again.correlationId).toBe('corr-request');
  });

  it('lives at least as long as the job command it cancels', () => {
    expect(build(cancelled(), 60_000).expiresAt.toISOString()).toBe('2026-01-01T01:00:00.000Z');
    expect(build(cancelled(), 3_600_000).expiresAt.toISOString()).toBe('2026-01-01T01:10:00.000Z');
  });
});
