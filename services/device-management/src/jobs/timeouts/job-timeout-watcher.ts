import type { EventStore, Subscription } from '@opcfleet/event-store';
import type { Logger } from 'pino';
import type { CommandSender } from '../../shared/command-sender';
import { TimeOutJob, type TimeOutJobResult } from './time-out-job.command';
import { JOB_STREAM_PREFIXES, STREAM_PREFIX } from '../../shared/domain/stream-names';
import type { Worker } from '../../shared/worker';
import { JobDeadlines, type DueJob, type JobDeadlineSettings } from './job-deadlines';

export interface JobTimeoutOptions extends JobDeadlineSettings {
  sweepIntervalMs: number;
}

/**
 * Sends a quiet job's command again; false when this process does not dispatch right now. The
 * dispatcher, when a broker is configured; without one nobody nudges.
 */
export interface JobNudger {
  nudge(job: Pick<DueJob, 'kind' | 'tenantId' | 'jobId'>): Promise<boolean>;
}

/**
 * What the service has received and not written yet (the status ingestor, when a broker is
 * configured; without one nothing is held). A job is quiet only if nothing about it
 * waits here: while ingestion is behind, a job that looks quiet may simply not be read yet.
 */
export interface IngestionBacklog {
  /** A report of this job is held and not written yet. */
  holds(tenantId: string, jobId: string): boolean;
  /** The buffer is so full that the broker may be holding reports back. */
  saturated(): boolean;
}

/**
 * Times out jobs that got no report for `timeoutMs`, and nudges quiet jobs of online devices
 * (see JobDeadlines): a command or report a broker dropped is recovered in seconds, not by a
 * time-out. The open jobs, their deadlines and the presence of their clients live in memory,
 * rebuilt at each start by reading the job and client streams from the beginning (the
 * subscription never stores a checkpoint), then kept current by the same subscription. The
 * first sweep waits until that read has caught up, so no job is timed out on stale facts.
 */
export class JobTimeoutWatcher implements Worker {
  readonly name = 'job-timeouts';
  private readonly deadlines: JobDeadlines;
  private subscription: Subscription | undefined;
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly store: EventStore,
    private readonly commands: CommandSender,
    private readonly logger: Logger,
    private readonly options: JobTimeoutOptions,
    private readonly messaging: { nudger?: JobNudger; backlog?: IngestionBacklog } = {},
  ) {
    this.deadlines = new JobDeadlines(options);
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.subscription = this.store.subscribe(
      {
        name: 'job-timeouts',
        streamPrefixes: [...JOB_STREAM_PREFIXES, STREAM_PREFIX.client],
        batchSize: 500,
        // Deadlines are minutes away: a quarter of a second adds nothing, and saves a read per commit.
        readIntervalMs: 250,
        // In-memory state: always start from the beginning, never store a checkpoint.
        checkpointing: { mode: 'handler', checkpointer: { load: async () => undefined } },
      },
      async (batch) => {
        for (const event of batch.events) this.deadlines.apply(event);
      },
    );
    await this.subscription.caughtUp();
    // Stopped while catching up: a sweep timer set now would outlive the service.
    if (this.stopped) return;
    this.logger.info({ openJobs: this.deadlines.size }, 'job timeout watcher caught up');
    this.timer = setInterval(() => void this.sweep(), this.options.sweepIntervalMs);
  }

  /** Resolves once every job and presence committed before the call is known. */
  caughtUp(): Promise<void> {
    return this.subscription?.caughtUp() ?? Promise.resolve();
  }

  /** Sends TimeOutJob for every job past its deadline; one sweep at a time. */
  sweep(now = new Date()): Promise<void> {
    this.sweeping ??= this.sweepDue(now).finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.sweeping;
    await this.subscription?.stop();
  }

  private async sweepDue(now: Date): Promise<void> {
    await this.timeOut(now);
    await this.nudge(now);
  }

  private async timeOut(now: Date): Promise<void> {
    for (const job of this.deadlines.due(now)) {
      const log = this.logOf(job);
      try {
        const result = (await this.commands.execute(
          new TimeOutJob({ jobKind: job.kind, tenantId: job.tenantId, jobId: job.jobId, at: now }),
        )) as TimeOutJobResult | undefined;
        this.deadlines.forget(job);
        log.info(
          { outcome: result?.outcome, deadline: job.deadline },
          'job report deadline passed',
        );
      } catch (error) {
        // The next sweep tries again.
        log.warn({ err: error }, 'could not time out job');
      }
    }
  }

  private async nudge(now: Date): Promise<void> {
    const { nudger, backlog } = this.messaging;
    if (!nudger || backlog?.saturated()) return;
    for (const job of this.deadlines.dueForNudge(now)) {
      if (backlog?.holds(job.tenantId, job.jobId)) continue;
      const log = this.logOf(job);
      try {
        if (!(await nudger.nudge(job))) return;
        this.deadlines.nudged(job, now);
        log.info({ dueAt: job.deadline }, 'quiet job nudged: its command sent again');
      } catch (error) {
        // Broker away: the next sweep tries again.
        log.warn({ err: error }, 'could not nudge job');
      }
    }
  }

  private logOf(job: DueJob): Logger {
    return this.logger.child({
      correlationId: job.correlationId,
      tenantId: job.tenantId,
      jobKind: job.kind,
      jobId: job.jobId,
    });
  }
}
