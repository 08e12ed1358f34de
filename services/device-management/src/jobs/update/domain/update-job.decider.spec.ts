import { STATUS_REPORT_SCHEMA, type StatusReport } from '@opcfleet/contracts';
import { deciderSpecification } from '../../../shared/testing/decider-specification';
import {
  decideUpdateJob,
  evolveUpdateJob,
  foldUpdateJob,
  initialUpdateJobState,
} from './update-job.decider';
import type { UpdateJobEvent, UpdateRequested } from './update-job.events';

const given = deciderSpecification({
  decide: decideUpdateJob,
  evolve: evolveUpdateJob,
  initialState: initialUpdateJobState,
});

const jobId = '6f1c2a9e-4b7d-4c3e-9a21-0d5e8f7b6c41';
const requested: UpdateRequested = {
  type: 'UpdateRequested',
  data: {
    jobId,
    tenantId: 'acme',
    clientId: 'press-07',
    targetVersion: '2.1.0',
    image: 'registry.example.com/opc-core:2.1.0',
    requestedAt: '2026-11-23T10:00:00.000Z',
  },
};
const dispatched: UpdateJobEvent = {
  type: 'UpdateCommandDispatched',
  data: {
    jobId,
    messageId: '0b7a3f7e-5a43-4e7e-8d2e-2f1a9c4b5d60',
    topic: 'tenants/acme/clients/press-07/commands/update',
    dispatchedAt: '2026-11-23T10:00:00.010Z',
  },
};

function report(
  seq: number,
  phase: string,
  extra: Partial<Record<string, unknown>> = {},
): StatusReport {
  return {
    schema: STATUS_REPORT_SCHEMA,
    messageId: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
    tenantId: 'acme',
    clientId: 'press-07',
    correlationId: 'corr-1',
    jobId,
    seq,
    at: `2026-11-23T10:00:0${seq}.000Z`,
    jobKind: 'update',
    phase,
    ...extra,
  } as StatusReport;
}
const ingest = (r: StatusReport) => ({ type: 'IngestReport' as const, data: { report: r } });
const received: UpdateJobEvent = {
  type: 'UpdateReceived',
  data: { jobId, seq: 1, at: '2026-11-23T10:00:01.000Z' },
};
const swapping: UpdateJobEvent = {
  type: 'UpdatePhaseReported',
  data: { jobId, seq: 4, at: '2026-11-23T10:00:04.000Z', phase: 'stopping_old' },
};
const succeeded: UpdateJobEvent = {
  type: 'UpdateSucceeded',
  data: { jobId, seq: 7, at: '2026-11-23T10:00:07.000Z', version: '2.1.0' },
};

describe('UpdateJob', () => {
  describe('RequestUpdate', () => {
    it('opens the job', () =>
      given([]).when({ type: 'RequestUpdate', data: requested.data }).then([requested]));
    it('refuses to open it twice', () =>
      given([requested])
        .when({ type: 'RequestUpdate', data: requested.data })
        .thenThrows('already_exists'));
  });

  describe('RecordDispatch', () => {
    const command = {
      type: 'RecordDispatch' as const,
      data: {
        messageId: '0b7a3f7e-5a43-4e7e-8d2e-2f1a9c4b5d60',
        topic: 'tenants/acme/clients/press-07/commands/update',
        at: '2026-11-23T10:00:00.010Z',
      },
    };
    it('records the publish', () => given([requested]).when(command).then([dispatched]));
    it('records the same message once', () =>
      given([requested, dispatched]).when(command).thenNothingHappens());
    it('records a publish that lands after the job ended, for the audit trail', () =>
      given([requested, received, succeeded]).when(command).then([dispatched]));
    it('leaves an ended job in its final status when the late dispatch is applied', () =>
      expect(foldUpdateJob([requested, received, succeeded, dispatched])?.status).toBe(
        'Succeeded',
      ));
    it('needs a job', () => given([]).when(command).thenThrows('not_found'));
  });

  describe('IngestReport', () => {
    it('maps received, intermediate phases and committed to their events', () => {
      given([requested, dispatched])
        .when(ingest(report(1, 'received')))
        .then([received]);
      given([requested, dispatched, received])
        .when(ingest(report(2, 'pulling', { progress: { bytes: 10, totalBytes: 100 } })))
        .then([
          {
            type: 'UpdatePhaseReported',
            data: {
              jobId,
              seq: 2,
              at: '2026-11-23T10:00:02.000Z',
              phase: 'pulling',
              progress: { bytes: 10, totalBytes: 100 },
            },
          },
        ]);
      given([requested, dispatched, received, swapping])
        .when(ingest(report(7, 'committed', { version: '2.1.0' })))
        .then([succeeded]);
    });

    it('records a failure reported by the device with its reason and code', () =>
      given([requested, received])
        .when(
          ingest(
            report(2, 'failed', { error: { code: 'pull_failed', message: 'manifest unknown' } }),
          ),
        )
        .then([
          {
            type: 'UpdateFailed',
            data: {
              jobId,
              seq: 2,
              at: '2026-11-23T10:00:02.000Z',
              phase: 'failed',
              reason: 'manifest unknown',
              code: 'pull_failed',
            },
          },
        ]));

    it('records a rollback with its reason', () =>
      given([requested, received, swapping])
        .when(
          ingest(
            report(6, 'rolled_back', {
              version: '2.0.0',
              error: { code: 'unhealthy', message: 'health check failed' },
            }),
          ),
        )
        .then([
          {
            type: 'UpdateRolledBack',
            data: {
              jobId,
              seq: 6,
              at: '2026-11-23T10:00:06.000Z',
              version: '2.0.0',
              reason: 'health check failed',
            },
          },
        ]));

    it('keeps the evidence a rollback or a failure came with, and the job shows it', () => {
      const evidence = {
        workloadLog: ['fatal: cannot reach the PLC password=[REDACTED]'],
        agentLog: ['2026-11-23T10:00:05.900Z warn removing the failed new container'],
        truncated: false,
      };
      given([requested, received, swapping])
        .when(
          ingest(
            report(6, 'rolled_back', {
              version: '2.0.0',
              error: { code: 'unhealthy', message: 'health check failed' },
              evidence,
            }),
          ),
        )
        .then([
          {
            type: 'UpdateRolledBack',
            data: {
              jobId,
              seq: 6,
              at: '2026-11-23T10:00:06.000Z',
              version: '2.0.0',
              reason: 'health check failed',
              evidence,
            },
          },
        ]);
      const [failed] = decideUpdateJob(
        ingest(report(2, 'failed', { error: { code: 'pull_failed', message: 'x' }, evidence })),
        foldUpdateJob([requested, received]),
      );
      expect(failed).toMatchObject({ type: 'UpdateFailed', data: { evidence } });
      expect(foldUpdateJob([requested, received, failed!])?.evidence).toEqual(evidence);
      // Events stored before evidence existed fold as they did.
      const old = foldUpdateJob([
        requested,
        received,
        {
          type: 'UpdateRolledBack',
          data: { jobId, seq: 2, at: '2026-11-23T10:00:02.000Z', reason: 'unhealthy' },
        },
      ]);
      expect(old?.status).toBe('RolledBack');
      expect(old).not.toHaveProperty('evidence');
    });

    it('ignores a duplicate (same seq) without recording anything', () =>
      given([requested, received])
        .when(ingest(report(1, 'received')))
        .thenNothingHappens());

    it('records a late report after the end as ignored, not applied', () =>
      given([requested, received, succeeded])
        .when(ingest(report(8, 'failed')))
        .then([
          {
            type: 'StatusReportIgnored',
            data: {
              jobId,
              seq: 8,
              phase: 'failed',
              at: '2026-11-23T10:00:08.000Z',
              reason: 'job_final',
            },
          },
        ]));

    it('ignores a config report sent for an update job', () =>
      given([requested])
        .when(
          ingest({ ...report(1, 'applied'), jobKind: 'config', configVersion: 3 } as StatusReport),
        )
        .then([
          {
            type: 'StatusReportIgnored',
            data: {
              jobId,
              seq: 1,
              phase: 'applied',
              at: '2026-11-23T10:00:01.000Z',
              reason: 'wrong_job_kind',
            },
          },
        ]));
  });

  describe('evolve', () => {
    it('keeps the phase of the highest seq when reports arrive out of order', () => {
      const state = foldUpdateJob([
        requested,
        swapping,
        {
          type: 'UpdatePhaseReported',
          data: { jobId, seq: 2, at: '2026-11-23T10:00:02.000Z', phase: 'pulling' },
        },
      ]);
      expect(state).toMatchObject({
        status: 'InProgress',
        phase: 'stopping_old',
        lastSeq: 4,
        seenSeqs: [4, 2],
      });
    });

    it('ends with the reported version, timestamps and no way back', () => {
      const state = foldUpdateJob([requested, dispatched, received, succeeded]);
      expect(state).toMatchObject({
        status: 'Succeeded',
        phase: 'committed',
        reportedVersion: '2.1.0',
        dispatchedAt: '2026-11-23T10:00:00.010Z',
        startedAt: '2026-11-23T10:00:01.000Z',
        finishedAt: '2026-11-23T10:00:07.000Z',
      });
    });
  });

  describe('TimeOut', () => {
    const command = { type: 'TimeOut' as const, data: { at: '2026-11-23T10:10:00.000Z' } };
    it('times out a running job, remembering its last phase', () =>
      given([requested, received])
        .when(command)
        .then([
          {
            type: 'UpdateTimedOut',
            data: { jobId, at: '2026-11-23T10:10:00.000Z', lastPhase: 'received' },
          },
        ]));
    it('leaves an ended job alone', () =>
      given([requested, succeeded]).when(command).thenNothingHappens());
  });

  describe('Cancel', () => {
    const command = { type: 'Cancel' as const, data: { at: '2026-11-23T10:00:03.000Z' } };
    it('cancels before the device has started swapping', () =>
      given([requested, dispatched, received])
        .when(command)
        .then([{ type: 'UpdateCancelled', data: { jobId, at: '2026-11-23T10:00:03.000Z' } }]));
    it('refuses once the old container is being stopped', () =>
      given([requested, received, swapping])
        .when(command)
        .thenThrows('job_not_cancellable', { phase: 'stopping_old' }));
    it('refuses on an ended job', () =>
      given([requested, succeeded]).when(command).thenThrows('job_final', { status: 'Succeeded' }));
  });

  describe('the device answering a cancel', () => {
    const cancelled: UpdateJobEvent = {
      type: 'UpdateCancelled',
      data: { jobId, at: '2026-11-23T10:00:02.500Z' },
    };
    const acknowledged = (seq: number, phase: string) => ({
      type: 'CancelAcknowledged' as const,
      data: { jobId, seq, phase, at: `2026-11-23T10:00:0${seq}.000Z`, version: '2.0.0' },
    });

    it('records that the device stopped the cancelled job, without reopening it', () => {
      given([requested, dispatched, received, cancelled])
        .when(ingest(report(2, 'cancelled', { version: '2.0.0' })))
        .then([acknowledged(2, 'cancelled')]);
      const job = foldUpdateJob([
        requested,
        dispatched,
        received,
        cancelled,
        acknowledged(2, 'cancelled'),
      ]);
      expect(job).toMatchObject({ status: 'Cancelled', phase: 'cancelled', lastSeq: 2 });
      expect(job?.failure).toBeUndefined();
    });

    it('records a command the device refused because the cancel came first', () =>
      given([requested, dispatched, cancelled])
        .when(
          ingest(
            report(1, 'rejected', {
              version: '2.0.0',
              error: { code: 'cancelled', message: 'job was cancelled' },
            }),
          ),
        )
        .then([acknowledged(1, 'rejected')]));

    it('still ignores any other late report of a cancelled job', () =>
      given([requested, dispatched, received, cancelled])
        .when(ingest(report(2, 'pulling')))
        .then([
          {
            type: 'StatusReportIgnored',
            data: {
              jobId,
              seq: 2,
              phase: 'pulling',
              at: '2026-11-23T10:00:02.000Z',
              reason: 'job_final',
            },
          },
        ]));

    it('ends a job nobody cancelled as failed when the device says it stopped it', () =>
      given([requested, dispatched, received])
        .when(ingest(report(2, 'cancelled')))
        .then([
          {
            type: 'UpdateFailed',
            data: {
              jobId,
              seq: 2,
              at: '2026-11-23T10:00:02.000Z',
              phase: 'cancelled',
              reason: 'the device reported cancelled',
              code: 'cancelled',
            },
          },
        ]));
  });
});
