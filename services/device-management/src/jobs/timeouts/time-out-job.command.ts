import type { JobKind } from '../../shared/domain/domain-event';

/**
 * Sent by the timeout watcher when a job got no final report in time. A job that ended
 * meanwhile stays as it is (outcome `not_applicable`).
 */
export class TimeOutJob {
  readonly jobKind: JobKind;
  readonly tenantId: string;
  readonly jobId: string;
  /** Defaults to now. */
  readonly at?: Date;

  constructor(props: TimeOutJob) {
    Object.assign(this, props);
  }
}

export type TimeOutJobResult = { outcome: 'timed_out' | 'not_applicable' | 'unknown_job' };
