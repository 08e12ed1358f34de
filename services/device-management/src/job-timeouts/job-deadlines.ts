import type { JobKind } from '../shared/domain/domain-event';
import { jobOfStream, jobStream } from '../shared/domain/stream-names';

/** The facts about a job event that move its report deadline. */
export interface JobEventFact {
  streamName: string;
  type: string;
  data: unknown;
  recordedAt: Date;
  metadata?: { correlationId?: string };
}

export interface DueJob {
  kind: JobKind;
  tenantId: string;
  jobId: string;
  deadline: Date;
  /** The job's correlation id, for the log lines of its time-out. */
  correlationId?: string;
}

/** Events after which the job waits for nothing more. */
const FINAL_EVENTS = new Set([
  'UpdateSucceeded',
  'UpdateFailed',
  'UpdateRolledBack',
  'UpdateTimedOut',
  'UpdateCancelled',
  'ConfigApplied',
  'ConfigRejected',
  'ConfigTimedOut',
  'ConfigCancelled',
]);

/** Events that show the job is alive: requested, sent, or reported on by the device. */
const LIVENESS_EVENTS = new Set([
  'UpdateRequested',
  'UpdateCommandDispatched',
  'UpdateReceived',
  'UpdatePhaseReported',
  'ConfigChangeRequested',
  'ConfigCommandDispatched',
  'ConfigReceived',
]);

/**
 * When each open job must have been heard from: its last sign of life (request, dispatch or
 * report) plus the timeout. Deadlines come from the events' recorded times, never from the
 * clock of the moment they are read, so a rebuild after a restart gives the same deadlines.
 */
export class JobDeadlines {
  private readonly open = new Map<string, DueJob>();

  constructor(private readonly timeoutMs: number) {}

  apply(event: JobEventFact): void {
    const job = jobOfStream(event.streamName);
    if (!job) return;
    const { kind, tenantId, jobId } = job;
    const key = event.streamName;
    if (FINAL_EVENTS.has(event.type)) {
      this.open.delete(key);
    } else if (LIVENESS_EVENTS.has(event.type)) {
      // A request for a job already closed cannot happen; a late report for one can: ignore it.
      if (event.type.endsWith('Requested') || this.open.has(key)) {
        const correlationId = this.open.get(key)?.correlationId ?? event.metadata?.correlationId;
        this.open.set(key, {
          kind,
          tenantId,
          jobId,
          deadline: new Date(event.recordedAt.getTime() + this.timeoutMs),
          ...(correlationId && { correlationId }),
        });
      }
    }
  }

  /** Jobs whose deadline has passed at `now`, oldest first. */
  due(now: Date): DueJob[] {
    return [...this.open.values()]
      .filter((job) => job.deadline.getTime() <= now.getTime())
      .sort((a, b) => a.deadline.getTime() - b.deadline.getTime());
  }

  forget(job: Pick<DueJob, 'kind' | 'tenantId' | 'jobId'>): void {
    this.open.delete(jobStream(job.kind, job.tenantId, job.jobId));
  }

  get size(): number {
    return this.open.size;
  }
}
