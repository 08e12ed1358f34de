import { JobStateCache } from './job-state-cache';
import type { KnownJob } from './report-batch.decider';

const job = (jobId: string, revision = 0) =>
  ({
    kind: 'update',
    streamName: `update-job-${jobId}`,
    revision,
    state: { request: { jobId } },
  }) as unknown as KnownJob;

describe('JobStateCache', () => {
  it('keeps the newest state of a job', () => {
    const cache = new JobStateCache(10);
    cache.set(job('a', 1));
    cache.set(job('a', 2));
    expect(cache.get('a')?.revision).toBe(2);
    expect(cache.size).toBe(1);
  });

  it('forgets the least recently used job when full', () => {
    const cache = new JobStateCache(2);
    cache.set(job('a'));
    cache.set(job('b'));
    cache.get('a');
    cache.set(job('c'));
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBeDefined();
    expect(cache.get('c')).toBeDefined();
  });

  it('forgets a job on request', () => {
    const cache = new JobStateCache(2);
    cache.set(job('a'));
    cache.delete('a');
    expect(cache.get('a')).toBeUndefined();
  });
});
