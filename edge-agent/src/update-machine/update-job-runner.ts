import { initialTransition, transition } from 'xstate';
import type { UpdateCommand, UpdatePhase } from '@opcfleet/contracts';
import type { ContainerRuntime, PullProgress } from '../container-runtime/container-runtime.port';
import type { JobRecord, SnapshotStore } from '../snapshot-store/job-record';
import type { Logger } from './logger';
import type { EffectEnv } from './effects/effect';
import { STATE_WORK } from './effects/state-effects';
import {
  CANCELLABLE_STATES,
  MACHINE_VERSION,
  isActiveState,
  isFinished,
  updateMachine,
  type RetryPolicy,
  type StateDeadlines,
  type UpdateJobContext,
  type UpdateJobEvent,
} from './update-machine';
import { recoverWorkload } from './recover-workload';
import type { WorkloadSettings } from './workload-settings';

export type { HealthProbe, HealthSettings, WorkloadSettings } from './workload-settings';

export interface PhaseReport {
  jobId: string;
  correlationId: string;
  phase: UpdatePhase;
  at: string;
  version?: string;
  progress?: { bytes: number; totalBytes?: number; percent?: number };
  error?: { code: string; message: string };
}

export interface UpdateJobRunnerDeps {
  runtime: ContainerRuntime;
  snapshots: SnapshotStore;
  workload: WorkloadSettings;
  /** Awaited before the machine moves on: the link writes it to its on-disk outbox. */
  onPhase: (report: PhaseReport) => Promise<void>;
  logger: Logger;
  now?: () => Date;
  deadlines?: Partial<StateDeadlines>;
  retry?: Partial<RetryPolicy>;
  /** Minimum milliseconds between two pull progress reports. */
  progressIntervalMs?: number;
  /** Test hook: called right after a state is durably saved, before anything else happens. */
  afterPersist?: (state: string, record: JobRecord<UpdateJobContext>) => void;
}

export type StartResult = { accepted: true } | { accepted: false; reason: string };

/**
 * What a cancel did: `cancelled` (stopped and saved as such), `too_late` (past the point of no
 * return, or already over: `state` says where), `pending` (an unfinished job not being driven
 * right now: it stops when it resumes), `unknown` (no such job here).
 */
export type CancelOutcome =
  | { outcome: 'cancelled' }
  | { outcome: 'too_late'; state: string }
  | { outcome: 'pending' }
  | { outcome: 'unknown' };

interface CancelRequest {
  outcome: Promise<CancelOutcome>;
  settle: (outcome: CancelOutcome) => void;
}

function newCancelRequest(): CancelRequest {
  let settle!: (outcome: CancelOutcome) => void;
  const outcome = new Promise<CancelOutcome>((resolve) => (settle = resolve));
  return { outcome, settle };
}

const isCancellable = (state: string) => (CANCELLABLE_STATES as readonly string[]).includes(state);

export const DEFAULT_DEADLINES: StateDeadlines = {
  received: 60_000,
  pulling: 15 * 60_000,
  pulled: 30_000,
  stopping_old: 120_000,
  starting_new: 60_000,
  verifying: 300_000,
  rolling_back: 120_000,
  committed: 120_000,
};

export const DEFAULT_RETRY: RetryPolicy = {
  maxPullAttempts: 3,
  maxRollbackAttempts: 10,
  backoffBaseMs: 1000,
  backoffCapMs: 30_000,
};

/** States whose report tells the service the job is over. */
const OUTCOME_STATES: ReadonlySet<string> = new Set([
  'committed',
  'rolled_back',
  'failed',
  'cancelled',
]);

type Snapshot = ReturnType<typeof updateMachine.resolveState>;

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
  private readonly now: () => Date;
  /** Cancels asked for and not yet decided, by job id. */
  private readonly cancels = new Map<string, CancelRequest>();
  /** Ends the effect running now with a CANCEL event (only while it is cancellable). */
  private interrupt: (() => void) | undefined;

  constructor(private readonly deps: UpdateJobRunnerDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * Starts a job; a second update while one runs, a known job id or an expired command is
   * refused. A job that has already reported its outcome is only tidying up (after a commit:
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
    if (command.expiresAt && Date.parse(command.expiresAt) <= this.now().getTime()) {
      return { accepted: false, reason: `command expired at ${command.expiresAt}` };
    }
    // Claimed before the first await, so two concurrent calls cannot both start.
    let release!: () => void;
    const claim: RunningJob = {
      jobId: command.jobId,
      state: 'received',
      since: this.now().toISOString(),
      done: new Promise<void>((resolve) => (release = resolve)),
    };
    this.running = claim;
    try {
      const existing = await this.deps.snapshots.load(command.jobId, MACHINE_VERSION);
      if (existing.kind !== 'missing') {
        this.running = null;
        release();
        const state = existing.kind === 'ok' ? existing.record.state : existing.kind;
        return { accepted: false, reason: `job ${command.jobId} was already received (${state})` };
      }
      const at = this.now().toISOString();
      const [snapshot] = initialTransition(updateMachine, {
        jobId: command.jobId,
        correlationId: command.correlationId,
        targetVersion: command.payload.targetVersion,
        image: command.payload.image,
        imageDigest: command.payload.imageDigest,
        containerName: this.deps.workload.containerName,
        deadlines: { ...DEFAULT_DEADLINES, ...this.deps.deadlines },
        retry: { ...DEFAULT_RETRY, ...this.deps.retry },
        at,
      });
      const record: JobRecord<UpdateJobContext> = {
        jobId: command.jobId,
        machineVersion: MACHINE_VERSION,
        state: 'received',
        context: snapshot.context,
        log: [{ at, from: null, to: 'received', event: 'COMMAND' }],
        reportedThrough: 0,
        createdAt: at,
        updatedAt: at,
      };
      await this.persist(record);
    } catch (error) {
      this.running = null;
      release();
      throw error;
    }
    void this.drive(command.jobId)
      .catch((error: unknown) =>
        // Typically the snapshot could not be saved (disk full): the job stays unfinished on
        // disk and is resumed by resumeUnfinished() at the next start.
        this.deps.logger.error(
          { jobId: command.jobId, correlationId: command.correlationId, err: error },
          'update job stopped: it will be resumed when the agent restarts',
        ),
      )
      .finally(() => {
        this.running = null;
        release();
      });
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
      const loaded = await this.deps.snapshots.load(job.jobId, MACHINE_VERSION);
      if (loaded.kind === 'ok') {
        const record = loaded.record as JobRecord<UpdateJobContext>;
        if (
          isFinished(record.state, record.context) &&
          record.reportedThrough >= record.log.length
        ) {
          continue;
        }
        this.deps.logger.warn(
          { jobId: job.jobId, correlationId: record.context.correlationId, state: record.state },
          'resuming an unfinished update job',
        );
        await this.runExclusive(job.jobId, record.state, () => this.drive(job.jobId));
      } else if (loaded.kind === 'incompatible' || loaded.kind === 'corrupt') {
        await this.runExclusive(job.jobId, 'recovering', () => this.recoverUnreadable(loaded));
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
    const asked = this.cancels.get(jobId);
    if (asked) return asked.outcome;
    if (this.running?.jobId !== jobId) {
      const loaded = await this.deps.snapshots.load(jobId, MACHINE_VERSION);
      if (loaded.kind === 'missing') return { outcome: 'unknown' };
      if (loaded.kind !== 'ok') return { outcome: 'too_late', state: loaded.kind };
      const { state, context } = loaded.record as JobRecord<UpdateJobContext>;
      if (isFinished(state, context) || !isCancellable(state)) {
        return { outcome: 'too_late', state };
      }
      // Resumed meanwhile? Then it is driven: ask the running job below.
      if (this.running?.jobId !== jobId) {
        this.cancels.set(jobId, newCancelRequest());
        return { outcome: 'pending' };
      }
    }
    if (!isCancellable(this.running.state))
      return { outcome: 'too_late', state: this.running.state };
    const request = newCancelRequest();
    this.cancels.set(jobId, request);
    this.interrupt?.();
    return request.outcome;
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

  private async runExclusive(jobId: string, state: string, work: () => Promise<void>) {
    let release!: () => void;
    this.running = {
      jobId,
      state,
      since: this.now().toISOString(),
      done: new Promise<void>((resolve) => (release = resolve)),
    };
    try {
      await work();
    } finally {
      this.running = null;
      release();
    }
  }

  private async drive(jobId: string): Promise<void> {
    let record: JobRecord<UpdateJobContext> | undefined;
    try {
      record = await this.driveToEnd(jobId);
    } finally {
      // Whatever stopped the driving decides the cancels still waiting.
      const request = this.cancels.get(jobId);
      this.cancels.delete(jobId);
      request?.settle(
        !record
          ? { outcome: 'pending' }
          : record.state === 'cancelled'
            ? { outcome: 'cancelled' }
            : { outcome: 'too_late', state: record.state },
      );
    }
  }

  private async driveToEnd(jobId: string): Promise<JobRecord<UpdateJobContext>> {
    const loaded = await this.deps.snapshots.load(jobId, MACHINE_VERSION);
    if (loaded.kind !== 'ok') throw new Error(`job ${jobId} cannot be driven: ${loaded.kind}`);
    let record = loaded.record as JobRecord<UpdateJobContext>;
    for (;;) {
      record = await this.flushReports(record);
      const cancel = this.cancels.get(jobId);
      if (cancel && record.state === 'cancelled') {
        this.cancels.delete(jobId);
        cancel.settle({ outcome: 'cancelled' });
      } else if (cancel && !isCancellable(record.state)) {
        this.cancels.delete(jobId);
        cancel.settle({ outcome: 'too_late', state: record.state });
      }
      if (isFinished(record.state, record.context)) {
        this.deps.logger.info(
          {
            jobId,
            correlationId: record.context.correlationId,
            state: record.state,
            error: record.context.error,
          },
          'update job finished',
        );
        return record;
      }
      const snapshot: Snapshot = updateMachine.resolveState({
        value: record.state,
        context: record.context,
      });
      const event = this.cancels.has(jobId)
        ? ({ type: 'CANCEL', at: this.now().toISOString() } as const)
        : await this.runEffect(record);
      const [next] = transition(updateMachine, snapshot, event);
      const to = String(next.value);
      const moved = to !== record.state || next.context.attempts !== record.context.attempts;
      const at = event.at;
      record = {
        ...record,
        state: to,
        context: next.context,
        updatedAt: at,
        log: moved
          ? [
              ...record.log,
              {
                at,
                from: record.state,
                to,
                event: event.type,
                reason:
                  'error' in event ? `${event.error.code}: ${event.error.message}` : undefined,
              },
            ]
          : record.log,
      };
      if (this.running) {
        this.running.state = to;
        if (moved) this.running.since = at;
      }
      if (moved) {
        this.deps.logger.info(
          {
            jobId,
            correlationId: record.context.correlationId,
            from: record.log.at(-1)?.from,
            to,
            event: event.type,
            reason: record.log.at(-1)?.reason,
          },
          'update job transition',
        );
      }
      await this.persist(record);
    }
  }

  /** Runs the state's effect against its deadline; a missed deadline becomes a TIMEOUT event. */
  private async runEffect(record: JobRecord<UpdateJobContext>): Promise<UpdateJobEvent> {
    const ctx = record.context;
    const timeoutEvent = (): UpdateJobEvent => ({
      type: 'TIMEOUT',
      at: this.now().toISOString(),
      state: record.state,
    });
    if (!isActiveState(record.state)) return timeoutEvent();
    const work = STATE_WORK[record.state];
    const remaining = Date.parse(ctx.deadlineAt) - this.now().getTime();
    if (remaining <= 0) return timeoutEvent();
    const controller = new AbortController();
    const progress = this.progressReporter(ctx);
    const env: EffectEnv = {
      runtime: this.deps.runtime,
      workload: this.deps.workload,
      logger: this.deps.logger,
      now: this.now,
      signal: controller.signal,
      onPullProgress: progress.report,
    };
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<UpdateJobEvent>((resolve) => {
      timer = setTimeout(() => {
        controller.abort();
        resolve(timeoutEvent());
      }, remaining);
    });
    // A cancel ends a cancellable step at once; the aborted effect's own outcome is dropped.
    const cancelled = new Promise<UpdateJobEvent>((resolve) => {
      if (!isCancellable(record.state)) return;
      this.interrupt = () => {
        resolve({ type: 'CANCEL', at: this.now().toISOString() });
        controller.abort();
      };
    });
    try {
      const outcome = work.effect(ctx, env).catch((error: unknown): UpdateJobEvent => {
        if (controller.signal.aborted) return timeoutEvent();
        // Effects return their expected failures as events; anything thrown is a bug or an engine fault.
        this.deps.logger.error(
          { jobId: ctx.jobId, correlationId: ctx.correlationId, err: error },
          'update step threw',
        );
        const message = (error as Error)?.message ?? String(error);
        return work.onThrow({ code: 'internal_error', message }, this.now().toISOString());
      });
      const event = await Promise.race([outcome, deadline, cancelled]);
      await progress.drain();
      return event;
    } finally {
      this.interrupt = undefined;
      clearTimeout(timer);
      controller.abort();
    }
  }

  /** Throttled pull progress reports, sent in order and all delivered before the next phase. */
  private progressReporter(ctx: UpdateJobContext) {
    let chain = Promise.resolve();
    let lastAt = 0;
    const interval = this.deps.progressIntervalMs ?? 1000;
    return {
      report: (progress: PullProgress, final = false) => {
        const nowMs = this.now().getTime();
        if (!final && nowMs - lastAt < interval) return;
        lastAt = nowMs;
        chain = chain
          .then(() =>
            this.deps.onPhase({
              jobId: ctx.jobId,
              correlationId: ctx.correlationId,
              phase: 'pulling',
              at: new Date(nowMs).toISOString(),
              version: ctx.oldVersion,
              progress,
            }),
          )
          .catch((error: unknown) =>
            this.deps.logger.warn({ jobId: ctx.jobId, err: error }, 'pull progress report failed'),
          );
      },
      drain: () => chain,
    };
  }

  /** Hands every not yet reported transition to the reporter, in order, then records that. */
  private async flushReports(
    record: JobRecord<UpdateJobContext>,
  ): Promise<JobRecord<UpdateJobContext>> {
    if (record.reportedThrough >= record.log.length) return record;
    for (let i = record.reportedThrough; i < record.log.length; i++) {
      const entry = record.log[i]!;
      await this.deps.onPhase(
        this.reportFor(record.context, entry.to as UpdatePhase, entry.at, entry.reason),
      );
    }
    const updated = { ...record, reportedThrough: record.log.length };
    await this.deps.snapshots.save(updated);
    return updated;
  }

  private reportFor(
    ctx: UpdateJobContext,
    phase: UpdatePhase,
    at: string,
    reason: string | undefined,
  ): PhaseReport {
    const report: PhaseReport = {
      jobId: ctx.jobId,
      correlationId: ctx.correlationId,
      phase,
      at,
      version: phase === 'committed' ? ctx.targetVersion : ctx.oldVersion,
    };
    const finalFailure = phase === 'failed' || phase === 'rolled_back' || phase === 'rolling_back';
    if (finalFailure && ctx.error) report.error = ctx.error;
    else if (reason) {
      const [code, ...rest] = reason.split(': ');
      report.error = { code: code ?? 'error', message: rest.join(': ') };
    }
    return report;
  }

  private async persist(record: JobRecord<UpdateJobContext>): Promise<void> {
    await this.deps.snapshots.save(record);
    this.deps.afterPersist?.(record.state, record);
  }

  /** A snapshot this agent cannot read: make sure the workload runs, then close the job as failed. */
  private async recoverUnreadable(
    loaded: { kind: 'incompatible' | 'corrupt'; jobId: string } & (
      { machineVersion: number; raw: unknown } | { error: string }
    ),
  ): Promise<void> {
    const why =
      loaded.kind === 'incompatible'
        ? `snapshot written by machine version ${'machineVersion' in loaded ? loaded.machineVersion : '?'}, this agent runs ${MACHINE_VERSION}`
        : `snapshot unreadable: ${'error' in loaded ? loaded.error : '?'}`;
    this.deps.logger.error({ jobId: loaded.jobId, reason: why }, 'cannot resume update job');
    const raw =
      'raw' in loaded ? (loaded.raw as Partial<JobRecord<Partial<UpdateJobContext>>>) : {};
    const correlationId = raw.context?.correlationId ?? loaded.jobId;
    const aside = typeof raw.context?.backupName === 'string' ? [raw.context.backupName] : [];
    await recoverWorkload(
      this.deps.runtime,
      this.deps.workload.containerName,
      aside,
      this.deps.logger,
    );
    const at = this.now().toISOString();
    const error = { code: 'incompatible_snapshot', message: why };
    await this.deps.onPhase({ jobId: loaded.jobId, correlationId, phase: 'failed', at, error });
    // Superseded by a record this version can read, so the job is not recovered twice.
    await this.deps.snapshots.save({
      jobId: loaded.jobId,
      machineVersion: MACHINE_VERSION,
      state: 'failed',
      context: { ...raw.context, error, cleanupDone: true } as UpdateJobContext,
      log: [
        ...(raw.log ?? []),
        {
          at,
          from: raw.state ?? null,
          to: 'failed',
          event: 'RECOVERED',
          reason: `${error.code}: ${why}`,
        },
      ],
      reportedThrough: (raw.log?.length ?? 0) + 1,
      createdAt: raw.createdAt ?? at,
      updatedAt: at,
    });
  }
}
