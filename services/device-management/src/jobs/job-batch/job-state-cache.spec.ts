import { jobKey, updateJobStream } from '../../shared/domain/stream-names';
import { JobStateCache } from './job-state-cache';
import type { KnownJob } from './job-batch.decider';

const job = (jobId: string, revision = 0, tenantId = 'acme') =>
  ({
    kind: 'update',
    streamName: updateJobStream(tenantId, jobId),
    revision,
    state: { request: { tenantId, jobId } },
  }) as unknown as KnownJob;

const key = (jobId: string, tenantId = 'acme') => jobKey(tenantId, jobId);

describe('JobStateCache', () => {
  it('keeps the newest state of a job', () => {
    const cache = new JobStateCache(10);
    cache.set(job('a', 1));
    cache.set(job('a', 2));
    expect(cache.get(key('a'))?.revision).toBe(2);
    expect(cache.size).toBe(1);
  });

  it('keeps the jobs of two tenants apart, whatever their ids', () => {
    const cache = new JobStateCache(10);
    cache.set(job('a', 1, 'acme'));
    cache.set(job('a', 5, 'other'));
    expect(cache.get(key('a', 'acme'))?.revision).toBe(1);
    expect(cache.get(key('a', 'other'))?.revision).toBe(5);
  });

  it('forgets the least recently used job when full', () => {
    const cache = new JobStateCache(2);
    cache.set(job('a'));
    cache.set(job('b'));
    cache.get(key('a'));
    cache.set(job('c'));
    expect(cache.get(key('b'))).toBeUndefined();
    expect(cache.get(key('a'))).toBeDefined();
    expect(cache.get(key('c'))).toBeDefined();
  });

  it('forgets a job on request', () => {
    const cache = new JobStateCache(2);
    cache.set(job('a'));
    cache.delete(key('a'));
    expect(cache.get(key('a'))).toBeUndefined();
  });
});
