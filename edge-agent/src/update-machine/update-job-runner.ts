import { initialTransition } from 'xstate';
import type { UpdateCommand } from '@opcfleet/contracts';
import type { ContainerRuntime } from '../container-runtime/container-runtime.port';
import { NO_TRACER, type AgentTracer } from '../observability/tracer';
import type { JobRecord, SnapshotStore } from '../snapshot-store/job-record';
import { CancelRequests, type CancelOutcome } from './cancel-requests';
import {
  captureEvidence,
  DEFAULT_EVIDENCE_SETTINGS,
  withLaterAgentLines,
  type EvidenceSettings,
} from './evidence/capture-evidence';
import { JobLogRing, jobLogTap } from './evidence/job-log';
import { advance } from './job-transition';
import type { Logger } from './logger';
import { phaseReportFor, type PhaseSink } from './phase-reports';
import { runStateStep } from './state-step';
import { closeUnreadableJob, type UnreadableJob } from './unreadable-job';
import { DEFAULT_DEADLINES, DEFAULT_RETRY } from './update-job-defaults';
import {
  CANCELLABLE_STATES,
  MACHINE_VERSION,
  READABLE_MACHINE_VERSIONS,
  isFinished,
  updateMachine,
  type RetryPolicy,
  type StateDeadlines,
  type UpdateJobContext,
} from './update-machine';
import type { WorkloadSettings } from './workload-settings';

export interface UpdateJobRunnerDeps {
  runtime: ContainerRuntime;
  snapshots: SnapshotStore;
  workload: WorkloadSettings;
  /** Awaited before the machine moves on: the link writes it to its on-disk outbox. */
  onPhase: PhaseSink;
  logger: Logger;
  now?: () => Date;
  deadlines?: Partial<StateDeadlines>;
  retry?: Partial<RetryPolicy>;
  /** What a failure report carries of the failed container's log and the agent's (redacted). */
  evidence?: EvidenceSettings;
  /** Minimum milliseconds between two pull progress reports. */
  progressIntervalMs?: number;
  /** Called each time a job stops running: the workload may be another one now. */
  onIdle?: () => void;
  /** A span per step (pull, swap, health check, commit or rollback) in the command's trace. */
  tracer?: AgentTracer;
  /** Test hook: called right after a state is durably saved, before anything else happens. */
  afterPersist?: (state: string, record: JobRecord<UpdateJobContext>) => void;
}

/**
 * The span of each step, by what it does: `update pull`, `update swap: stop old`,
 * `update health check`, `update commit` (the clean-up after it), `update rollback`...
 */
const STEP_SPANS: Record<string, string> = {
  received: 'update prepare',
  pulling: 'update pull',
  pulled: 'update pull: confirm',
  stopping_old: 'update swap: stop old',
  starting_new: 'update swap: start new',
  verifying: 'update health check',
  probation: 'update probation',
  committed: 'update commit',
  rolling_back: 'update rollback',
};
const stepSpanName = (state: string) => STEP_SPANS[state] ?? `update ${state}`;

export type StartResult = { accepted: true } | { accepted: false; reason: string };

const isCancellable = (state: string) => (CANCELLABLE_STATES as readonly string[]).includes(state);

/** States whose report tells the service the job is over. */
const OUTCOME_STATES: ReadonlySet<string> = new Set([
  'committed',
  'rolled_back',
  'failed',
  'cancelled',
]);

interface RunningJob {
  jobId: string;
  state: string;
  since: string;
  done: Promise<void>;
}

/**
 * Drives update jobs through the statechart, one at a time. For every step: the next snapshot
 * is computed with the pure `transition()`, saved durably, reported (awaited), and only then is
 * the new state's effect started. A crash at any point therefore resumes from a saved state
 * whose effect has not run or can safely run again (effects inspect the engine first).
 */
export class UpdateJobRunner {
  private running: RunningJob | null = null;
  /** The transition log of the job saved last, for the state summary. */
  private latestLog: JobRecord<UpdateJobContext>['log'] | null = null;
  private readonly now: () => Date;
  private readonly cancels = new CancelRequests();
  /** The agent's lines of each job, for its failure evidence. */
  private readonly jobLog = new JobLogRing();
  /** Logs as the agent's logger does, keeping each job's lines in jobLog. */
  private readonly logger: Logger;
  /** Ends the effect running now with a CANCEL event (only while it is cancellable). */
  private interrupt: (() => void) | undefined;

  constructor(private readonly deps: UpdateJobRunnerDeps) {
    this.now = deps.now ?? (() => new Date());
    this.logger = jobLogTap(deps.logger, this.jobLog, this.now);
  }

  /**
   * Starts a job; a second update while one runs or a known job id is refused (whether the
   * command came in time is the inbox's decision: ../link/service-clock.ts). A job that has already reported its outcome is only tidying up (after a commit:
   * removing the old container and image), and the service already counts it as over, so a
   * new job waits for it instead of being refused.
   */
  async start(command: UpdateCommand): Promise<StartResult> {
    while (this.running && OUTCOME_STATES.has(this.running.state)) await this.running.done;
    if (this.running) {
      return {
        accepted: false,
        reason: `update ${this.running.jobId} is in progress (${this.running.state})`,
      };
    }
    // Claimed before the first await, so two concurrent calls cannot both start.
    const release = this.claim(command.jobId, 'received');
    try {
      const existing = await this.deps.snapshots.load(command.jobId, READABLE_MACHINE_VERSIONS);
      if (existing.kind !== 'missing') {
        release();
        const state = existing.kind === 'ok' ? existing.record.state : existing.kind;
        return { accepted: false, reason: `job ${command.jobId} was already received (${state})` };
      }
      await this.persist(this.firstRecord(command));
    } catch (error) {
      release();
      throw error;
    }
    void this.drive(command.jobId)
      .catch((error: unknown) =>
        // Typically the snapshot could not be saved (disk full): the job stays unfinished on
        // disk and is resumed by resumeUnfinished() at the next start.
        this.logger.error(
          { jobId: command.jobId, correlationId: command.correlationId, err: error },
          'update job stopped: it will be resumed when the agent restarts',
        ),
      )
      .finally(release);
    return { accepted: true };
  }

  /**
   * On agent start: converges every unfinished job (finishes it or rolls it back) and resolves
   * when they are all settled. start() refuses new jobs meanwhile.
   */
  async resumeUnfinished(): Promise<void> {
    if (this.running) return this.running.done;
    const jobs = await this.deps.snapshots.list();
    for (const job of jobs) {
      const loaded = await this.deps.snapshots.load(job.jobId, READABLE_MACHINE_VERSIONS);
      if (loaded.kind === 'ok') {
        const record = loaded.record as JobRecord<UpdateJobContext>;
        if (
          isFinished(record.state, record.context) &&
          record.reportedThrough >= record.log.length
        ) {
          continue;
        }
        this.logger.warn(
          { jobId: job.jobId, correlationId: record.context.correlationId, state: record.state },
          'resuming an unfinished update job',
        );
        await this.runExclusive(job.jobId, record.state, () => this.drive(job.jobId, true));
      } else if (loaded.kind === 'incompatible' || loaded.kind === 'corrupt') {
        await this.runExclusive(job.jobId, 'recovering', () => this.closeUnreadable(loaded));
      }
    }
  }

  /**
   * Asks to stop a job before the swap. A job being driven in received, pulling or pulled has
   * its effect aborted and goes to `cancelled` (saved, then reported); once the old container
   * is being stopped it carries on. An unfinished job not being driven (an agent start, before
   * it resumes) stops when it resumes. Asking twice is harmless: both get the same outcome.
   */
  async requestCancel(jobId: string): Promise<CancelOutcome> {
    const asked = this.cancels.pending(jobId);
    if (asked) return asked;
    if (this.running?.jobId !== jobId) {
      const loaded = await this.deps.snapshots.load(jobId, READABLE_MACHINE_VERSIONS);
      if (loaded.kind === 'missing') return { outcome: 'unknown' };
      if (loaded.kind !== 'ok') return { outcome: 'too_late', state: loaded.kind };
      const { state, context } = loaded.record as JobRecord<UpdateJobContext>;
      if (isFinished(state, context) || !isCancellable(state)) {
        return { outcome: 'too_late', state };
      }
      // Resumed meanwhile? Then it is driven: ask the running job below.
      if (this.running?.jobId !== jobId) {
        void this.cancels.ask(jobId);
        return { outcome: 'pending' };
      }
    }
    if (!isCancellable(this.running.state))
      return { outcome: 'too_late', state: this.running.state };
    const outcome = this.cancels.ask(jobId);
    this.interrupt?.();
    return outcome;
  }

  current(): { jobId: string; state: string; since: string } | null {
    if (!this.running) return null;
    const { jobId, state, since } = this.running;
    return { jobId, state, since };
  }

  /** Resolves when no job is running. */
  async whenIdle(): Promise<void> {
    while (this.running) await this.running.done;
  }

  /** Marks a job as the one running; the returned function ends that. */
  private claim(jobId: string, state: string): () => void {
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    const running = { jobId, state, since: this.now().toISOString(), done };
    this.running = running;
    return () => {
      if (this.running === running) {
        this.running = null;
        this.deps.onIdle?.();
      }
      release();
    };
  }

  private async runExclusive(jobId: string, state: string, work: () => Promise<void>) {
    const release = this.claim(jobId, state);
    try {
      await work();
    } finally {
      release();
    }
  }

  private firstRecord(command: UpdateCommand): JobRecord<UpdateJobContext> {
    const at = this.now().toISOString();
    const [snapshot] = initialTransition(updateMachine, {
      jobId: command.jobId,
      correlationId: command.correlationId,
      ...(command.traceparent && { traceparent: command.traceparent }),
      targetVersion: command.payload.targetVersion,
      image: command.payload.image,
      imageDigest: command.payload.imageDigest,
      containerName: this.deps.workload.containerName,
      deadlines: { ...DEFAULT_DEADLINES, ...this.deps.deadlines },
      retry: { ...DEFAULT_RETRY, ...this.deps.retry },
      probationMs: this.deps.workload.probationMs ?? 0,
      at,
    });
    return {
      jobId: command.jobId,
      machineVersion: MACHINE_VERSION,
      state: 'received',
      context: snapshot.context,
      log: [{ at, from: null, to: 'received', event: 'COMMAND' }],
      reportedThrough: 0,
      createdAt: at,
      updatedAt: at,
    };
  }

  private async drive(jobId: string, resumed = false): Promise<void> {
    let record: JobRecord<UpdateJobContext> | undefined;
    try {
      record = await this.driveToEnd(jobId, resumed);
    } finally {
      // Whatever stopped the driving decides the cancels still waiting.
      this.cancels.settle(
        jobId,
        !record
          ? { outcome: 'pending' }
          : record.state === 'cancelled'
            ? { outcome: 'cancelled' }
            : { outcome: 'too_late', state: record.state },
      );
    }
  }

  private async driveToEnd(jobId: string, resumed: boolean): Promise<JobRecord<UpdateJobContext>> {
    const loaded = await this.deps.snapshots.load(jobId, READABLE_MACHINE_VERSIONS);
    if (loaded.kind !== 'ok') throw new Error(`job ${jobId} cannot be driven: ${loaded.kind}`);
    let record = loaded.record as JobRecord<UpdateJobContext>;
    for (;;) {
      record = await this.flushReports(record);
      if (this.cancels.has(jobId) && record.state === 'cancelled') {
        this.cancels.settle(jobId, { outcome: 'cancelled' });
      } else if (this.cancels.has(jobId) && !isCancellable(record.state)) {
        this.cancels.settle(jobId, { outcome: 'too_late', state: record.state });
      }
      if (isFinished(record.state, record.context)) {
        this.logger.info(
          {
            jobId,
            correlationId: record.context.correlationId,
            state: record.state,
            error: record.context.error,
          },
          'update job finished',
        );
        this.jobLog.forget(jobId);
        return record;
      }
      const event = this.cancels.has(jobId)
        ? ({ type: 'CANCEL', at: this.now().toISOString() } as const)
        : await this.runStep(record, resumed);
      resumed = false;
      const next = advance(record, event);
      record = next.record;
      if (this.running) {
        this.running.state = record.state;
        if (next.moved) this.running.since = event.at;
      }
      if (next.moved) {
        const entry = record.log.at(-1)!;
        this.logger.info(
          {
            jobId,
            correlationId: record.context.correlationId,
            from: entry.from,
            to: entry.to,
            event: event.type,
            reason: entry.reason,
          },
          'update job transition',
        );
        record = await this.withEvidence(record);
      }
      await this.persist(record);
    }
  }

  /**
   * Entering `rolling_back` the first time: the failed container's log tail and the agent's
   * lines so far, read before the rollback removes that container. Entering `rolled_back` or
   * `failed`: the agent's lines logged since are added. Saved with the record that follows.
   */
  private async withEvidence(
    record: JobRecord<UpdateJobContext>,
  ): Promise<JobRecord<UpdateJobContext>> {
    const settings = this.deps.evidence ?? DEFAULT_EVIDENCE_SETTINGS;
    const { jobId, newContainerId } = record.context;
    if (record.state === 'rolling_back' && !record.evidence) {
      const lines = this.jobLog.take(jobId);
      const evidence = await captureEvidence(this.deps.runtime, newContainerId, lines, settings);
      return { ...record, evidence };
    }
    if (record.state === 'rolled_back' || record.state === 'failed') {
      const lines = this.jobLog.take(jobId);
      return { ...record, evidence: withLaterAgentLines(record.evidence, lines, settings) };
    }
    return record;
  }

  /**
   * The state's effect, as a span in the job's trace; while the job is cancellable, a cancel
   * ends it at once. A step cut short by a crash leaves no span: the resumed one says `resumed`.
   */
  private async runStep(record: JobRecord<UpdateJobContext>, resumed: boolean) {
    const span = (this.deps.tracer ?? NO_TRACER).startSpan(
      stepSpanName(record.state),
      record.context.traceparent,
      {
        'opcfleet.job.id': record.context.jobId,
        'opcfleet.update.state': record.state,
        'opcfleet.update.attempt': record.context.attempts + 1,
        'opcfleet.update.target_version': record.context.targetVersion,
        ...(resumed && { 'opcfleet.update.resumed': true }),
      },
    );
    try {
      const event = await this.runEffect(record);
      span.setAttributes({ 'opcfleet.update.outcome': event.type });
      if ('error' in event && event.error) span.fail(`${event.error.code}: ${event.error.message}`);
      else if (event.type === 'TIMEOUT') span.fail(`timed out in ${event.state}`);
      return event;
    } catch (error) {
      span.fail((error as Error).message);
      throw error;
    } finally {
      span.end();
    }
  }

  private async runEffect(record: JobRecord<UpdateJobContext>) {
    try {
      return await runStateStep(
        record,
        {
          runtime: this.deps.runtime,
          workload: this.deps.workload,
          logger: this.logger,
          now: this.now,
          onPhase: this.deps.onPhase,
          progressIntervalMs: this.deps.progressIntervalMs ?? 1000,
        },
        isCancellable(record.state) ? (interrupt) => (this.interrupt = interrupt) : undefined,
      );
    } finally {
      this.interrupt = undefined;
    }
  }

  /** Hands every not yet reported transition to the reporter, in order, then records that. */
  private async flushReports(
    record: JobRecord<UpdateJobContext>,
  ): Promise<JobRecord<UpdateJobContext>> {
    if (record.reportedThrough >= record.log.length) return record;
    for (const entry of record.log.slice(record.reportedThrough)) {
      const report = phaseReportFor(
        record.context,
        entry,
        record.evidence,
        (this.deps.evidence ?? DEFAULT_EVIDENCE_SETTINGS).redaction,
      );
      if (report) await this.deps.onPhase(report);
    }
    const updated = { ...record, reportedThrough: record.log.length };
    await this.deps.snapshots.save(updated);
    return updated;
  }

  /** The latest update job's last `count` state changes, oldest first (none since the start). */
  recentTransitions(count: number): Array<{ state: string; at: string }> {
    return (this.latestLog ?? []).slice(-count).map(({ to, at }) => ({ state: to, at }));
  }

  private async persist(record: JobRecord<UpdateJobContext>): Promise<void> {
    await this.deps.snapshots.save(record);
    this.latestLog = record.log;
    this.deps.afterPersist?.(record.state, record);
  }

  private closeUnreadable(loaded: UnreadableJob): Promise<void> {
    return closeUnreadableJob(loaded, {
      runtime: this.deps.runtime,
      snapshots: this.deps.snapshots,
      containerName: this.deps.workload.containerName,
      onPhase: this.deps.onPhase,
      logger: this.logger,
      now: this.now,
    });
  }
}
