import { clientStream, configJobStream, updateJobStream } from '../../shared/domain/stream-names';
import { JobDeadlines } from './job-deadlines';

const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, seconds));
/** Nudges far away: these stories are about time-outs. */
const timeoutOf = (timeoutMs: number) => ({
  timeoutMs,
  nudgeAfterMs: 3_600_000,
  maxNudgeIntervalMs: 3_600_000,
});
const update = (type: string, seconds: number, jobId = 'j1') => ({
  streamName: updateJobStream('acme', jobId),
  type,
  data: { jobId },
  recordedAt: at(seconds),
});

describe('JobDeadlines', () => {
  it('given a request, the job is due once the timeout has passed without a report', () => {
    const deadlines = new JobDeadlines(timeoutOf(10_000));
    deadlines.apply(update('UpdateRequested', 0));
    expect(deadlines.due(at(9))).toEqual([]);
    expect(deadlines.due(at(10))).toEqual([
      { kind: 'update', tenantId: 'acme', jobId: 'j1', deadline: at(10) },
    ]);
  });

  it('each dispatch or report moves the deadline', () => {
    const deadlines = new JobDeadlines(timeoutOf(10_000));
    deadlines.apply(update('UpdateRequested', 0));
    deadlines.apply(update('UpdateCommandDispatched', 2));
    deadlines.apply(update('UpdatePhaseReported', 8));
    expect(deadlines.due(at(17))).toEqual([]);
    expect(deadlines.due(at(18)).map((job) => job.jobId)).toEqual(['j1']);
  });

  it('a final event closes the job, and a late report does not reopen it', () => {
    const deadlines = new JobDeadlines(timeoutOf(10_000));
    deadlines.apply(update('UpdateRequested', 0));
    deadlines.apply(update('UpdateSucceeded', 5));
    deadlines.apply(update('UpdatePhaseReported', 6));
    expect(deadlines.due(at(100))).toEqual([]);
    expect(deadlines.size).toBe(0);
  });

  it('tracks config jobs and ignores other streams', () => {
    const deadlines = new JobDeadlines(timeoutOf(1000));
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
    const deadlines = new JobDeadlines(timeoutOf(1000));
    deadlines.apply(update('UpdateRequested', 3, 'late'));
    deadlines.apply(update('UpdateRequested', 1, 'early'));
    expect(deadlines.due(at(10)).map((job) => job.jobId)).toEqual(['early', 'late']);
    deadlines.forget({ kind: 'update', tenantId: 'acme', jobId: 'early' });
    expect(deadlines.due(at(10)).map((job) => job.jobId)).toEqual(['late']);
  });
});

describe('JobDeadlines correlation', () => {
  it('remembers the correlation id of the request for the time-out log', () => {
    const deadlines = new JobDeadlines(timeoutOf(1000));
    deadlines.apply({ ...update('UpdateRequested', 0), metadata: { correlationId: 'corr-7' } });
    deadlines.apply(update('UpdateCommandDispatched', 1));
    expect(deadlines.due(at(5))).toEqual([
      { kind: 'update', tenantId: 'acme', jobId: 'j1', deadline: at(2), correlationId: 'corr-7' },
    ]);
  });
});

describe('JobDeadlines nudges', () => {
  const settings = { timeoutMs: 900_000, nudgeAfterMs: 10_000, maxNudgeIntervalMs: 25_000 };
  const presence = (status: 'online' | 'offline', seconds: number) => ({
    streamName: clientStream('acme', 'line-1'),
    type: 'ClientPresenceChanged',
    data: { status, at: at(seconds).toISOString() },
    recordedAt: at(seconds),
  });
  const job = (type: string, seconds: number) => ({
    ...update(type, seconds),
    data: { jobId: 'j1', clientId: 'line-1' },
  });
  const nudgedIds = (deadlines: JobDeadlines, seconds: number) =>
    deadlines.dueForNudge(at(seconds)).map((due) => due.jobId);

  it('given a job sent to an online device that stays quiet, it is due for a nudge', () => {
    const deadlines = new JobDeadlines(settings);
    deadlines.apply(presence('online', 0));
    deadlines.apply(job('UpdateRequested', 1));
    deadlines.apply(job('UpdateCommandDispatched', 2));
    expect(nudgedIds(deadlines, 11)).toEqual([]);
    expect(deadlines.dueForNudge(at(12))).toEqual([
      { kind: 'update', tenantId: 'acme', jobId: 'j1', deadline: at(12) },
    ]);
  });

  it('a job not sent yet is the dispatcher’s: never nudged', () => {
    const deadlines = new JobDeadlines(settings);
    deadlines.apply(presence('online', 0));
    deadlines.apply(job('UpdateRequested', 1));
    expect(nudgedIds(deadlines, 100)).toEqual([]);
  });

  it('a device that is offline is not nudged; one that comes back gets the whole interval first', () => {
    const deadlines = new JobDeadlines(settings);
    deadlines.apply(job('UpdateRequested', 1));
    deadlines.apply(job('UpdateCommandDispatched', 2));
    expect(nudgedIds(deadlines, 30)).toEqual([]);
    deadlines.apply(presence('online', 40));
    expect(nudgedIds(deadlines, 49)).toEqual([]);
    expect(nudgedIds(deadlines, 50)).toEqual(['j1']);
    deadlines.apply(presence('offline', 55));
    expect(nudgedIds(deadlines, 60)).toEqual([]);
  });

  it('a device back on a new broker session gets its jobs again at once, on a resumed one not', () => {
    const deadlines = new JobDeadlines(settings);
    const session = (resumed: boolean, seconds: number) => ({
      ...presence('online', seconds),
      data: { status: 'online', at: at(seconds).toISOString(), sessionResumed: resumed },
    });
    deadlines.apply(presence('online', 0));
    deadlines.apply(job('UpdateRequested', 1));
    deadlines.apply(job('UpdateCommandDispatched', 2));
    deadlines.apply(session(true, 4));
    expect(nudgedIds(deadlines, 5)).toEqual([]);
    deadlines.apply(session(false, 6));
    expect(deadlines.dueForNudge(at(6))).toEqual([
      { kind: 'update', tenantId: 'acme', jobId: 'j1', deadline: at(6) },
    ]);
    deadlines.nudged({ kind: 'update', tenantId: 'acme', jobId: 'j1' }, at(6));
    expect(nudgedIds(deadlines, 25)).toEqual([]);
    expect(nudgedIds(deadlines, 26)).toEqual(['j1']); // the usual back-off after that
  });

  it('a new session whose presence arrived before the dispatch but was recorded after it is not sent the job again', () => {
    const deadlines = new JobDeadlines(settings);
    const newSession = (receivedSeconds: number, recordedSeconds: number) => ({
      ...presence('online', recordedSeconds),
      data: {
        status: 'online',
        at: at(receivedSeconds).toISOString(),
        receivedAt: at(receivedSeconds).toISOString(),
        sessionResumed: false,
      },
    });
    deadlines.apply(presence('online', 0));
    deadlines.apply(job('UpdateRequested', 1));
    deadlines.apply(job('UpdateCommandDispatched', 3));
    deadlines.apply(newSession(2, 4)); // received before the dispatch, recorded after it
    expect(nudgedIds(deadlines, 4)).toEqual([]);
    deadlines.apply(newSession(5, 6)); // a later new session: the command may be lost to it
    expect(nudgedIds(deadlines, 6)).toEqual(['j1']);
  });

  it('each report moves the nudge, and nudges back off up to their cap', () => {
    const deadlines = new JobDeadlines(settings);
    deadlines.apply(presence('online', 0));
    deadlines.apply(job('UpdateRequested', 1));
    deadlines.apply(job('UpdateReceived', 3));
    expect(nudgedIds(deadlines, 12)).toEqual([]);
    expect(nudgedIds(deadlines, 13)).toEqual(['j1']);
    deadlines.nudged({ kind: 'update', tenantId: 'acme', jobId: 'j1' }, at(13));
    expect(nudgedIds(deadlines, 32)).toEqual([]);
    expect(nudgedIds(deadlines, 33)).toEqual(['j1']); // 20 s after the first nudge
    deadlines.nudged({ kind: 'update', tenantId: 'acme', jobId: 'j1' }, at(33));
    expect(nudgedIds(deadlines, 57)).toEqual([]);
    expect(nudgedIds(deadlines, 58)).toEqual(['j1']); // capped at 25 s
    deadlines.apply(job('UpdatePhaseReported', 59));
    expect(nudgedIds(deadlines, 68)).toEqual([]);
    expect(nudgedIds(deadlines, 69)).toEqual(['j1']); // a report resets the back-off
  });

  it('a final event ends the nudges', () => {
    const deadlines = new JobDeadlines(settings);
    deadlines.apply(presence('online', 0));
    deadlines.apply(job('UpdateRequested', 1));
    deadlines.apply(job('UpdateCommandDispatched', 2));
    deadlines.apply(job('UpdateSucceeded', 3));
    expect(nudgedIds(deadlines, 100)).toEqual([]);
  });
});
