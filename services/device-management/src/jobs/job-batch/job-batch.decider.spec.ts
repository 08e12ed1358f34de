import { STATUS_REPORT_SCHEMA, type StatusReport } from '@opcfleet/contracts';
import { foldClient } from '../../clients/domain/client.decider';
import { deterministicId } from '../../shared/domain/deterministic-id';
import { clientStream, updateJobStream } from '../../shared/domain/stream-names';
import { keyOf } from './job-state-cache';
import { foldUpdateJob, type UpdateJob } from '../update/domain/update-job.decider';
import type { UpdateJobEvent } from '../update/domain/update-job.events';
import {
  decideClientEndings,
  decideJobBatch,
  type KnownClient,
  type KnownJob,
  type ReportToIngest,
} from './job-batch.decider';

const jobA = '6f1c2a9e-4b7d-4c3e-9a21-0d5e8f7b6c41';
const jobB = '0d9e3a46-5a43-4b8e-9a33-6e1b7c2a1f00';

function job(jobId: string, clientId: string, ...events: UpdateJobEvent[]): KnownJob {
  const history: UpdateJobEvent[] = [
    {
      type: 'UpdateRequested',
      data: {
        jobId,
        tenantId: 'acme',
        clientId,
        targetVersion: '2.1.0',
        image: 'registry.example.com/opc-core:2.1.0',
        requestedAt: '2026-11-23T10:00:00.000Z',
      },
    },
    ...events,
  ];
  return {
    kind: 'update',
    streamName: updateJobStream('acme', jobId),
    state: foldUpdateJob(history) as UpdateJob,
    revision: history.length - 1,
  };
}

function report(jobId: string, clientId: string, seq: number, phase: string): ReportToIngest {
  const body = {
    schema: STATUS_REPORT_SCHEMA,
    messageId: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
    tenantId: 'acme',
    clientId,
    correlationId: `corr-${seq}`,
    jobId,
    seq,
    at: `2026-11-23T10:00:0${seq}.000Z`,
    jobKind: 'update',
    phase,
    ...(phase === 'committed' ? { version: '2.1.0' } : {}),
  } as StatusReport;
  return { report: body, topicTenantId: 'acme', topicClientId: clientId };
}

const jobsOf =
  (...known: KnownJob[]) =>
  (key: string) =>
    known.find((candidate) => keyOf(candidate) === key);

describe('decideJobBatch', () => {
  it('decides the reports of one job in their order, each on the state the previous left', () => {
    const decision = decideJobBatch(
      [report(jobA, 'press-07', 1, 'received'), report(jobA, 'press-07', 2, 'pulling')],
      jobsOf(job(jobA, 'press-07')),
    );

    expect(decision.answered.size).toBe(0);
    const [plan] = decision.appends;
    expect(plan.before.revision).toBe(0);
    expect(plan.after.revision).toBe(2);
    expect(plan.after.state).toMatchObject({ status: 'InProgress', phase: 'pulling', lastSeq: 2 });
    expect(plan.events).toEqual([
      {
        event: expect.objectContaining({ type: 'UpdateReceived' }),
        id: deterministicId(`${jobA}:report:1`),
        context: {
          actor: 'device:press-07',
          tenantId: 'acme',
          correlationId: 'corr-1',
          causationId: '00000000-0000-4000-8000-000000000001',
        },
      },
      expect.objectContaining({
        event: expect.objectContaining({ type: 'UpdatePhaseReported' }),
        id: deterministicId(`${jobA}:report:2`),
      }),
    ]);
    expect([...plan.answers]).toEqual([
      [0, { outcome: 'applied', eventType: 'UpdateReceived' }],
      [1, { outcome: 'applied', eventType: 'UpdatePhaseReported' }],
    ]);
  });

  it('answers duplicate for a stored seq at once, but lets a repeat within the batch stand with its job', () => {
    const stored = job(jobA, 'press-07', {
      type: 'UpdateReceived',
      data: { jobId: jobA, seq: 1, at: '2026-11-23T10:00:01.000Z' },
    });
    const decision = decideJobBatch(
      [
        report(jobA, 'press-07', 1, 'received'),
        report(jobA, 'press-07', 2, 'pulling'),
        report(jobA, 'press-07', 2, 'pulling'),
      ],
      jobsOf(stored),
    );

    expect([...decision.answered]).toEqual([[0, { outcome: 'duplicate' }]]);
    expect(decision.appends[0].events).toHaveLength(1);
    // The repeat is a duplicate only if the first one is stored: it goes again with it.
    expect(decision.appends[0].answers.get(2)).toEqual({ outcome: 'duplicate' });
  });

  it('rejects a report of an unknown job, or on another client topic, without appending', () => {
    const wrongTopic = { ...report(jobA, 'press-07', 1, 'received'), topicClientId: 'press-08' };
    const decision = decideJobBatch(
      [report(jobB, 'press-07', 1, 'received'), wrongTopic],
      jobsOf(job(jobA, 'press-07')),
    );

    expect([...decision.answered]).toEqual([
      [0, { outcome: 'rejected', reason: 'unknown_job' }],
      [1, { outcome: 'rejected', reason: 'topic_mismatch' }],
    ]);
    expect(decision.appends).toEqual([]);
  });

  it('records a late report after the end as ignored, and ends the job on its client', () => {
    const decision = decideJobBatch(
      [report(jobA, 'press-07', 2, 'committed'), report(jobA, 'press-07', 3, 'pulling')],
      jobsOf(job(jobA, 'press-07')),
    );

    const [plan] = decision.appends;
    expect(plan.events.map(({ event }) => event.type)).toEqual([
      'UpdateSucceeded',
      'StatusReportIgnored',
    ]);
    expect(plan.answers.get(1)).toEqual({ outcome: 'ignored', reason: 'job_final' });
    expect(plan.ending).toEqual({
      streamName: clientStream('acme', 'press-07'),
      command: {
        type: 'EndUpdate',
        data: {
          jobId: jobA,
          outcome: 'succeeded',
          version: '2.1.0',
          at: '2026-11-23T10:00:02.000Z',
        },
      },
      id: deterministicId(`${jobA}:client-ended`),
      context: expect.objectContaining({ correlationId: 'corr-3' }),
    });
  });

  it('records a dispatch the device answered first, once, in the order facts arrived', () => {
    const messageId = '0d9e3a46-5a43-4b8e-9a33-6e1b7c2a1f99';
    const dispatched = {
      dispatch: {
        jobKind: 'update' as const,
        tenantId: 'acme',
        jobId: jobA,
        messageId,
        topic: 'tenants/acme/clients/press-07/commands/update',
        at: '2026-11-23T10:00:00.500Z',
        correlationId: 'corr-request',
      },
    };
    const decision = decideJobBatch(
      [report(jobA, 'press-07', 1, 'received'), dispatched, dispatched],
      jobsOf(job(jobA, 'press-07')),
    );

    const [plan] = decision.appends;
    expect(plan.events.map(({ event }) => event.type)).toEqual([
      'UpdateReceived',
      'UpdateCommandDispatched',
    ]);
    expect(plan.events[1]).toEqual({
      event: expect.objectContaining({ data: expect.objectContaining({ messageId }) }),
      id: deterministicId(`${jobA}:dispatched:${messageId}`),
      context: {
        actor: 'system:dispatcher',
        tenantId: 'acme',
        correlationId: 'corr-request',
        causationId: messageId,
      },
    });
    // The status the device reported is not moved back by the late record.
    expect(plan.after.state.status).toBe('InProgress');
    expect([...plan.answers]).toEqual([
      [0, { outcome: 'applied', eventType: 'UpdateReceived' }],
      [1, { outcome: 'recorded' }],
      [2, { outcome: 'duplicate' }],
    ]);
  });

  it('ignores a dispatch of a job the tenant does not have', () => {
    const decision = decideJobBatch(
      [
        {
          dispatch: {
            jobKind: 'update',
            tenantId: 'other',
            jobId: jobA,
            messageId: '0d9e3a46-5a43-4b8e-9a33-6e1b7c2a1f99',
            topic: 'tenants/other/clients/press-07/commands/update',
            at: '2026-11-23T10:00:00.500Z',
          },
        },
      ],
      jobsOf(job(jobA, 'press-07')),
    );
    expect(decision.appends).toEqual([]);
    expect([...decision.answered]).toEqual([[0, { outcome: 'ignored' }]]);
  });

  it('keeps the jobs of a batch apart: one plan per job', () => {
    const decision = decideJobBatch(
      [report(jobA, 'press-07', 1, 'received'), report(jobB, 'press-08', 1, 'received')],
      jobsOf(job(jobA, 'press-07'), job(jobB, 'press-08')),
    );

    expect(decision.appends.map((plan) => plan.before.streamName)).toEqual([
      updateJobStream('acme', jobA),
      updateJobStream('acme', jobB),
    ]);
    expect(decision.appends.map((plan) => plan.ending)).toEqual([undefined, undefined]);
  });
});

describe('decideClientEndings', () => {
  const client = (...jobIds: string[]): KnownClient => {
    const events = [
      {
        type: 'ClientRegistered' as const,
        data: {
          tenantId: 'acme',
          clientId: 'press-07',
          labels: {},
          registeredAt: '2026-11-23T09:00:00.000Z',
        },
      },
      ...jobIds.map((jobId) => ({
        type: 'ClientConfigRequested' as const,
        data: { jobId, version: jobIds.indexOf(jobId) + 1, at: '2026-11-23T09:30:00.000Z' },
      })),
    ];
    return {
      streamName: clientStream('acme', 'press-07'),
      state: foldClient(events),
      revision: events.length - 1,
    };
  };
  const endConfig = (jobId: string, version: number) => ({
    streamName: clientStream('acme', 'press-07'),
    command: {
      type: 'EndConfig' as const,
      data: { jobId, version, outcome: 'applied' as const, at: '2026-11-23T10:00:00.000Z' },
    },
    id: deterministicId(`${jobId}:client-ended`),
    context: { actor: 'device:press-07', tenantId: 'acme', correlationId: `corr-${jobId}` },
  });

  it('records two ends of one client one after the other, in one append', () => {
    const plans = decideClientEndings([endConfig(jobA, 1), endConfig(jobB, 2)], () =>
      client(jobA, jobB),
    );

    expect(plans).toHaveLength(1);
    expect(plans[0].before.revision).toBe(2);
    expect(plans[0].after.revision).toBe(4);
    expect(plans[0].events.map(({ id }) => id)).toEqual([
      deterministicId(`${jobA}:client-ended`),
      deterministicId(`${jobB}:client-ended`),
    ]);
    expect(plans[0].after.state?.pendingConfigJobs).toEqual([]);
  });

  it('records nothing for an end already recorded, or for a client that does not exist', () => {
    const unknown = { streamName: clientStream('acme', 'press-07'), state: null, revision: -1 };

    expect(decideClientEndings([endConfig(jobA, 1)], () => client())).toEqual([]);
    expect(decideClientEndings([endConfig(jobA, 1)], () => unknown)).toEqual([]);
  });
});
