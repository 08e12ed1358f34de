import type { JobKind } from '../../shared/domain/domain-event';
import {
  clientKey,
  jobOfStream,
  jobStream,
  parseStreamName,
} from '../../shared/domain/stream-names';
import { JOB_KIND_DEFINITIONS } from '../job-kinds';

/** The facts about an event of a job or client stream that move a job's deadlines. */
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
  /** The job's correlation id, for the log lines of its time-out or nudge. */
  correlationId?: string;
}

export interface JobDeadlineSettings {
  /** A job with no sign of life for this long is timed out. */
  timeoutMs: number;
  /** A job whose command went out and that has been quiet for this long is nudged. */
  nudgeAfterMs: number;
  /** Nudges back off (doubling) up to this interval. */
  maxNudgeIntervalMs: number;
}

/** Events after which the job waits for nothing more. */
const FINAL_EVENTS = new Set<string>(
  JOB_KIND_DEFINITIONS.flatMap(({ rules, reportEvents }) => [
    ...reportEvents.ending,
    rules.eventTypes.timedOut,
    rules.eventTypes.cancelled,
  ]),
);

/** Events that open a job. */
const REQUEST_EVENTS = new Set<string>(
  JOB_KIND_DEFINITIONS.map(({ rules }) => rules.eventTypes.requested),
);

/** Events that show the job is alive: requested, sent, or reported on by the device. */
const LIVENESS_EVENTS = new Set<string>([
  ...REQUEST_EVENTS,
  ...JOB_KIND_DEFINITIONS.flatMap(({ rules, reportEvents }) => [
    rules.eventTypes.dispatched,
    ...reportEvents.progress,
  ]),
]);

interface OpenJob {
  kind: JobKind;
  tenantId: string;
  jobId: string;
  client?: string;
  correlationId?: string;
  /** Last sign of life: request, dispatch or report. */
  aliveAt: number;
  /** The command went out (or the device answered): the job now waits on the device. */
  sent: boolean;
  nudges: number;
  nudgedAt?: number;
}

/**
 * When each open job must have been heard from, and when it is worth a nudge.
 *
 * Timeout: the last sign of life (request, dispatch or report) plus the timeout.
 *
 * Nudge: a job whose command went out, whose device is online, and which has been quiet for
 * `nudgeAfterMs` since the later of its last sign of life, its device coming online and its
 * last nudge, is due for its command to be sent again (same message id). A device that lost
 * the command runs it; one that has it sends its last report again, so a report a broker
 * dropped is not lost for good. Nudges back off by doubling. A device that reconnects gets the
 * whole interval first, for the broker to deliver what its session kept; one that says its
 * session is new (`sessionResumed: false`) gets its jobs' commands again at once.
 *
 * Deadlines come from the events' recorded times, never from the clock of the moment they are
 * read, so a rebuild after a restart gives the same deadlines.
 */
export class JobDeadlines {
  private readonly open = new Map<string, OpenJob>();
  /** Since when each client with open jobs is online (absent: offline or unknown). */
  private readonly onlineSince = new Map<string, number>();
  /** When each client last came online on a new broker session (one that lost its commands). */
  private readonly freshSessionAt = new Map<string, number>();

  constructor(private readonly settings: JobDeadlineSettings) {}

  apply(event: JobEventFact): void {
    const stream = parseStreamName(event.streamName);
    if (stream?.category === 'client') return this.applyPresence(event, stream);
    const job = jobOfStream(event.streamName);
    if (!job) return;
    const key = event.streamName;
    if (FINAL_EVENTS.has(event.type)) {
      this.open.delete(key);
      return;
    }
    if (!LIVENESS_EVENTS.has(event.type)) return;
    const known = this.open.get(key);
    // A request for a job already closed cannot happen; a late report for one can: ignore it.
    if (!known && !REQUEST_EVENTS.has(event.type)) return;
    const data = event.data as { clientId?: unknown } | null;
    const clientId = typeof data?.clientId === 'string' ? data.clientId : undefined;
    const correlationId = known?.correlationId ?? event.metadata?.correlationId;
    this.open.set(key, {
      ...job,
      client: known?.client ?? (clientId && clientKey(job.tenantId, clientId)),
      ...(correlationId && { correlationId }),
      aliveAt: event.recordedAt.getTime(),
      sent: (known?.sent ?? false) || !REQUEST_EVENTS.has(event.type),
      nudges: 0,
    });
  }

  /** Jobs whose report deadline has passed at `now`, oldest first. */
  due(now: Date): DueJob[] {
    return this.select(now, (job) => job.aliveAt + this.settings.timeoutMs);
  }

  /** Jobs worth a nudge at `now`, oldest first. */
  dueForNudge(now: Date): DueJob[] {
    return this.select(now, (job) => {
      const online = job.client !== undefined ? this.onlineSince.get(job.client) : undefined;
      if (!job.sent || online === undefined) return undefined;
      // The broker's new session holds none of the commands sent before it: send them now.
      const fresh = this.freshSessionAt.get(job.client!);
      if (fresh !== undefined && fresh > Math.max(job.aliveAt, job.nudgedAt ?? 0)) return fresh;
      const interval = Math.min(
        this.settings.nudgeAfterMs * 2 ** job.nudges,
        this.settings.maxNudgeIntervalMs,
      );
      return Math.max(job.aliveAt, online, job.nudgedAt ?? 0) + interval;
    });
  }

  /** A nudge went out at `at`: the next one backs off. */
  nudged(job: Pick<DueJob, 'kind' | 'tenantId' | 'jobId'>, at: Date): void {
    const open = this.find(job);
    if (open) {
      open.nudges += 1;
      open.nudgedAt = at.getTime();
    }
  }

  forget(job: Pick<DueJob, 'kind' | 'tenantId' | 'jobId'>): void {
    this.open.delete(jobStream(job.kind, job.tenantId, job.jobId));
  }

  get size(): number {
    return this.open.size;
  }

  private applyPresence(event: JobEventFact, client: { tenantId: string; clientId: string }) {
    if (event.type !== 'ClientPresenceChanged') return;
    const key = clientKey(client.tenantId, client.clientId);
    const data = event.data as {
      status?: unknown;
      sessionResumed?: unknown;
      receivedAt?: unknown;
    } | null;
    const at = event.recordedAt.getTime();
    if (data?.status !== 'online') {
      this.onlineSince.delete(key);
      this.freshSessionAt.delete(key);
      return;
    }
    if (!this.onlineSince.has(key) || data.sessionResumed === false) this.onlineSince.set(key, at);
    // The new session began before its presence reached this service, which may be well before
    // the event was recorded (ingestion lags under load): a command published in between
    // reached the new session and is not sent again for it.
    const received = typeof data.receivedAt === 'string' ? Date.parse(data.receivedAt) : NaN;
    if (data.sessionResumed === false) {
      this.freshSessionAt.set(key, Number.isNaN(received) ? at : Math.min(received, at));
    }
  }

  private select(now: Date, deadlineOf: (job: OpenJob) => number | undefined): DueJob[] {
    const due: DueJob[] = [];
    for (const job of this.open.values()) {
      const deadline = deadlineOf(job);
      if (deadline === undefined || deadline > now.getTime()) continue;
      const { kind, tenantId, jobId, correlationId } = job;
      due.push({
        kind,
        tenantId,
        jobId,
        deadline: new Date(deadline),
        ...(correlationId && { correlationId }),
      });
    }
    return due.sort((a, b) => a.deadline.getTime() - b.deadline.getTime());
  }

  private find(job: Pick<DueJob, 'kind' | 'tenantId' | 'jobId'>): OpenJob | undefined {
    return this.open.get(jobStream(job.kind, job.tenantId, job.jobId));
  }
}
