import { STATUS_REPORT_SCHEMA, type StatusReport } from '@opcfleet/contracts';
import { deciderSpecification } from '../../../shared/testing/decider-specification';
import {
  decideConfigJob,
  evolveConfigJob,
  foldConfigJob,
  initialConfigJobState,
} from './config-job.decider';
import type { ConfigChangeRequested, ConfigJobEvent } from './config-job.events';

const given = deciderSpecification({
  decide: decideConfigJob,
  evolve: evolveConfigJob,
  initialState: initialConfigJobState,
});

const jobId = '2d9c4a1b-7e3f-4a6d-8b5c-9e0f1a2b3c4d';
const requested: ConfigChangeRequested = {
  type: 'ConfigChangeRequested',
  data: {
    jobId,
    tenantId: 'acme',
    clientId: 'press-07',
    version: 3,
    settings: { endpointUrl: 'opc.tcp://plc:4840' },
    requestedAt: '2026-11-23T10:00:00.000Z',
  },
};
const report = (seq: number, phase: string, extra: Record<string, unknown> = {}) =>
  ({
    schema: STATUS_REPORT_SCHEMA,
    messageId: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
    tenantId: 'acme',
    clientId: 'press-07',
    correlationId: 'corr-1',
    jobId,
    seq,
    at: `2026-11-23T10:00:0${seq}.000Z`,
    jobKind: 'config',
    configVersion: 3,
    phase,
    ...extra,
  }) as StatusReport;
const ingest = (r: StatusReport) => ({ type: 'IngestReport' as const, data: { report: r } });
const received: ConfigJobEvent = {
  type: 'ConfigReceived',
  data: { jobId, seq: 1, at: '2026-11-23T10:00:01.000Z' },
};
const applied: ConfigJobEvent = {
  type: 'ConfigApplied',
  data: { jobId, seq: 2, at: '2026-11-23T10:00:02.000Z', configVersion: 3 },
};

describe('ConfigJob', () => {
  it('opens once', () => {
    given([]).when({ type: 'RequestConfigChange', data: requested.data }).then([requested]);
    given([requested])
      .when({ type: 'RequestConfigChange', data: requested.data })
      .thenThrows('already_exists');
  });

  it('records received then applied', () => {
    given([requested])
      .when(ingest(report(1, 'received')))
      .then([received]);
    given([requested, received])
      .when(ingest(report(2, 'applied')))
      .then([applied]);
    expect(foldConfigJob([requested, received, applied])).toMatchObject({
      status: 'Applied',
      phase: 'applied',
      finishedAt: '2026-11-23T10:00:02.000Z',
    });
  });

  it('records a rejection with the field errors the device found', () => {
    const fieldErrors = [{ path: 'nodes.0.nodeId', message: 'unknown node' }];
    given([requested, received])
      .when(
        ingest(
          report(2, 'rejected', {
            error: { code: 'invalid_config', message: 'bad nodes', fieldErrors },
          }),
        ),
      )
      .then([
        {
          type: 'ConfigRejected',
          data: {
            jobId,
            seq: 2,
            at: '2026-11-23T10:00:02.000Z',
            reason: 'bad nodes',
            code: 'invalid_config',
            fieldErrors,
          },
        },
      ]);
  });

  it('ignores duplicates silently and late reports on the record', () => {
    given([requested, received])
      .when(ingest(report(1, 'received')))
      .thenNothingHappens();
    given([requested, received, applied])
      .when(ingest(report(3, 'rejected')))
      .then([
        {
          type: 'StatusReportIgnored',
          data: {
            jobId,
            seq: 3,
            phase: 'rejected',
            at: '2026-11-23T10:00:03.000Z',
            reason: 'job_final',
          },
        },
      ]);
  });

  it('times out only while running', () => {
    const timeOut = { type: 'TimeOut' as const, data: { at: '2026-11-23T10:05:00.000Z' } };
    given([requested])
      .when(timeOut)
      .then([{ type: 'ConfigTimedOut', data: { jobId, at: '2026-11-23T10:05:00.000Z' } }]);
    given([requested, applied]).when(timeOut).thenNothingHappens();
  });

  it('cancels only before the device received it', () => {
    const cancel = { type: 'Cancel' as const, data: { at: '2026-11-23T10:00:00.500Z' } };
    given([requested])
      .when(cancel)
      .then([{ type: 'ConfigCancelled', data: { jobId, at: '2026-11-23T10:00:00.500Z' } }]);
    given([requested, received]).when(cancel).thenThrows('job_not_cancellable');
    given([requested, applied]).when(cancel).thenThrows('job_final');
  });

  it('records the device refusing a cancelled config as acknowledged; a late apply stays ignored', () => {
    const cancelled: ConfigJobEvent = {
      type: 'ConfigCancelled',
      data: { jobId, at: '2026-11-23T10:00:00.500Z' },
    };
    const refused = report(1, 'rejected', {
      error: { code: 'cancelled', message: 'job was cancelled' },
    });
    given([requested, cancelled])
      .when(ingest(refused))
      .then([
        {
          type: 'CancelAcknowledged',
          data: { jobId, seq: 1, phase: 'rejected', at: '2026-11-23T10:00:01.000Z' },
        },
      ]);
    given([requested, cancelled])
      .when(ingest(report(1, 'applied')))
      .then([
        {
          type: 'StatusReportIgnored',
          data: {
            jobId,
            seq: 1,
            phase: 'applied',
            at: '2026-11-23T10:00:01.000Z',
            reason: 'job_final',
          },
        },
      ]);
  });
});
