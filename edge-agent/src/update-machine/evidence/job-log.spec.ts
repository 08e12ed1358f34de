import { recordingLogger } from '../testing/recording-logger';
import { formatLogLine, JobLogRing, jobLogTap } from './job-log';

const at = new Date('2026-11-30T22:31:02.120Z');

describe("the agent's lines of a job", () => {
  it('are one line each, without the ids the job page already shows', () => {
    expect(
      formatLogLine(
        at,
        'warn',
        { jobId: 'j1', correlationId: 'c', container: 'c2', reason: { code: 'unhealthy' } },
        'removing the failed new container',
      ),
    ).toBe(
      '2026-11-30T22:31:02.120Z warn removing the failed new container container=c2 reason={"code":"unhealthy"}',
    );
    expect(formatLogLine(at, 'error', { err: new Error('a\nb') }, 'step threw')).toBe(
      '2026-11-30T22:31:02.120Z error step threw err="a\\nb"',
    );
  });

  it('are kept per job, the newest of the last jobs only', () => {
    const ring = new JobLogRing(2, 2);
    for (const line of ['1', '2', '3']) ring.add('a', line);
    ring.add('b', 'b1');
    ring.add('c', 'c1');
    expect(ring.take('a')).toEqual([]);
    expect(ring.take('b')).toEqual(['b1']);
    expect(ring.take('b')).toEqual([]);
    ring.add('d', 'd1');
    ring.add('d', 'd2');
    ring.add('d', 'd3');
    expect(ring.take('d')).toEqual(['d2', 'd3']);
  });

  it('are fed by the logger, which still logs everything', () => {
    const ring = new JobLogRing();
    const recorded = recordingLogger();
    const logger = jobLogTap(recorded.logger, ring, () => at);
    logger.info({ jobId: 'j1', state: 'pulling' }, 'update job transition');
    logger.warn({ other: true }, 'not about a job');
    logger.error({ jobId: 'j2' }, 'another job');
    expect(recorded.messages).toEqual(['update job transition', 'not about a job', 'another job']);
    expect(ring.take('j1')).toEqual([
      '2026-11-30T22:31:02.120Z info update job transition state=pulling',
    ]);
    expect(ring.take('j2')).toHaveLength(1);
  });
});
