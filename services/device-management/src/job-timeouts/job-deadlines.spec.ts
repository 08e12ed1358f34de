import { clientStream, configJobStream, updateJobStream } from '../shared/domain/stream-names';
import { JobDeadlines } from './job-deadlines';

const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, seconds));
const update = (type: string, seconds: number, jobId = 'j1') => ({
  streamName: updateJobStream('acme', jobId),
  type,
  data: { jobId },
  recordedAt: at(seconds),
});

describe('JobDeadlines', () => {
  it('given a request, the job is due once the timeout has passed without a report', () => {
    const deadlines = new JobDeadlines(10_000);
    deadlines.apply(update('UpdateRequested', 0));
    expect(deadlines.due(at(9))).toEqual([]);
    expect(deadlines.due(at(10))).toEqual([
      { kind: 'update', tenantId: 'acme', jobId: 'j1', deadline: at(10) },
    ]);
  });

  it('each dispatch or report moves the deadline', () => {
    const deadlines = new JobDeadlines(10_000);
    deadlines.apply(update('UpdateRequested', 0));
    deadlines.apply(update('UpdateCommandDispatched', 2));
    deadlines.apply(update('UpdatePhaseReported', 8));
    expect(deadlines.due(at(17))).toEqual([]);
    expect(deadlines.due(at(18)).map((job) => job.jobId)).toEqual(['j1']);
  });

  it('a final event closes the job, and a late report does not reopen it', () => {
    const deadlines = new JobDeadlines(10_000);
    deadlines.apply(update('UpdateRequested', 0));
    deadlines.apply(update('UpdateSucceeded', 5));
    deadlines.apply(update('UpdatePhaseReported', 6));
    expect(deadlines.due(at(100))).toEqual([]);
    expect(deadlines.size).toBe(0);
  });

  it('tracks config jobs and ignores other streams', () => {
    const deadlines = new JobDeadlines(1000);
    deadlines.apply({
      streamName: configJobStream('acme', 'c1'),
      type: 'ConfigChangeRequested',
      data: { jobId: 'c1' },
      recordedAt: at(0),
    });
    deadlines.apply({
      streamName: clientStream('acme', 'c'),
      type: 'ClientRegistered',
      data: { jobId: 'nope' },
      recordedAt: at(0),
    });
    expect(deadlines.due(at(5))).toEqual([
      { kind: 'config', tenantId: 'acme', jobId: 'c1', deadline: at(1) },
    ]);
  });

  it('lists due jobs oldest first and forgets a job once handled', () => {
    const deadlines = new JobDeadlines(1000);
    deadlines.apply(update('UpdateRequested', 3, 'late'));
    deadlines.apply(update('UpdateRequested', 1, 'early'));
    expect(deadlines.due(at(10)).map((job) => job.jobId)).toEqual(['early', 'late']);
    deadlines.forget({ kind: 'update', tenantId: 'acme', jobId: 'early' });
    expect(deadlines.due(at(10)).map((job) => job.jobId)).toEqual(['late']);
  });
});

describe('JobDeadlines correlation', () => {
  it('remembers the correlation id of the request for the time-out log', () => {
    const deadlines = new JobDeadlines(1000);
    deadlines.apply({ ...update('UpdateRequested', 0), metadata: { correlationId: 'corr-7' } });
    deadlines.apply(update('UpdateCommandDispatched', 1));
    expect(deadlines.due(at(5))).toEqual([
      { kind: 'update', tenantId: 'acme', jobId: 'j1', deadline: at(2), correlationId: 'corr-7' },
    ]);
  });
});
