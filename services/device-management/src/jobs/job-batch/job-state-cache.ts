import { jobKey } from '../../shared/domain/stream-names';
import type { KnownJob } from './job-batch.decider';

/**
 * The last known state of recently reported jobs, so that the next report of a job does not
 * read its stream again. Only a hint: replicas and other commands append to job streams too,
 * so an entry may be behind; the append at its revision then fails (wrong_revision), the
 * entry is dropped and the stream read again. A stale entry never decides wrongly: a job's
 * request never changes and its seen seqs only grow. Least recently used entries go first.
 */
export class JobStateCache {
  private readonly jobs = new Map<string, KnownJob>();

  constructor(private readonly capacity: number) {}

  /** `key`: jobKey(tenantId, jobId). */
  get(key: string): KnownJob | undefined {
    const job = this.jobs.get(key);
    if (job) {
      this.jobs.delete(key);
      this.jobs.set(key, job);
    }
    return job;
  }

  set(job: KnownJob): void {
    const key = keyOf(job);
    this.jobs.delete(key);
    this.jobs.set(key, job);
    if (this.jobs.size > this.capacity) this.jobs.delete(this.jobs.keys().next().value!);
  }

  delete(key: string): void {
    this.jobs.delete(key);
  }

  get size(): number {
    return this.jobs.size;
  }
}

export const keyOf = (job: KnownJob) => jobKey(job.state.request.tenantId, job.state.request.jobId);
