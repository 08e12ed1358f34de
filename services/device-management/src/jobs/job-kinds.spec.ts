import { JOB_KINDS } from '../shared/domain/domain-event';
import { jobOfStream, jobStream } from '../shared/domain/stream-names';
import {
  decideJob,
  endOf,
  evolveJob,
  foldJob,
  JOB_KIND_DEFINITIONS,
  jobKind,
  kindCancelledBy,
  kindRequestedBy,
  type Job,
} from './job-kinds';

const jobId = '6f1c2a9e-4b7d-4c3e-9a21-0d5e8f7b6c41';
const requestedAt = '2026-11-23T10:00:00.000Z';
const requests = {
  update: {
    type: 'UpdateRequested',
    data: {
      jobId,
      tenantId: 'acme',
      clientId: 'press-07',
      targetVersion: '2.1.0',
      image: 'registry.example.com/opc-core:2.1.0',
      requestedAt,
    },
  },
  config: {
    type: 'ConfigChangeRequested',
    data: { jobId, tenantId: 'acme', clientId: 'press-07', version: 3, settings: {}, requestedAt },
  },
};

describe('the registry of job kinds', () => {
  it('has one entry for every kind of job', () => {
    expect(JOB_KIND_DEFINITIONS.map(({ kind }) => kind).sort()).toEqual([...JOB_KINDS].sort());
  });

  describe.each(JOB_KINDS)('a %s job', (kind) => {
    const request = requests[kind];
    const opened = { kind, state: foldJob(kind, [request]) } as Job;

    it('is opened by its request event, and its stream name tells its kind', () => {
      expect(kindRequestedBy(request.type)?.kind).toBe(kind);
      expect(opened.state).toMatchObject({ status: 'Requested', request: request.data });
      expect(jobOfStream(jobStream(kind, 'acme', jobId))).toEqual({
        kind,
        tenantId: 'acme',
        jobId,
      });
    });

    it('is decided by its own decider, and ends on its client when it times out', () => {
      expect(endOf(opened, requestedAt)).toBeUndefined();
      const events = decideJob({ type: 'TimeOut', data: { at: requestedAt } }, opened);
      expect(events.map((event) => event.type)).toEqual([jobKind(kind).rules.eventTypes.timedOut]);
      const ended = evolveJob(opened, events);
      expect(ended.state.status).toBe('TimedOut');
      expect(endOf(ended, requestedAt)).toMatchObject({
        data: { jobId, outcome: 'timed_out', at: requestedAt },
      });
    });

    it('is cancelled under its own event name', () => {
      const [cancelled] = decideJob({ type: 'Cancel', data: { at: requestedAt } }, opened);
      expect(kindCancelledBy(cancelled.type)?.kind).toBe(kind);
    });
  });
});
