import { DomainError, type DomainErrorCode } from '../../shared/domain/domain-error';
import type { IsoTimestamp, JobKind } from '../../shared/domain/domain-event';
import { PersistentMap } from '../../shared/domain/persistent-map';
import { phaseOffsets, singlePhase, type FailureRate, type RolloutPhase } from './rollout-phases';
import {
  isInsideWindow,
  nextWindowOpening,
  timeZoneOfTarget,
  windowIn,
  type MaintenanceWindow,
} from './maintenance-window';
import { isPassingFailure, retryAtOf } from './rollout-retries';
import type {
  RollbackTarget,
  RolloutEvent,
  RolloutJobOutcome,
  RolloutRollbackStarted,
  RolloutStarted,
} from './rollout.events';

/**
 * Running: jobs are requested. Soaking: a phase ended, the next waits for `soakUntil`.
 * AwaitingApproval: the next phase waits for an admin. Paused: an admin stopped new jobs.
 * Halted: a failure limit was passed (resumable). RollingBack: the failed clients go back to
 * what they ran before. Completed, Cancelled and RolledBack are final.
 */
export type RolloutStatus =
  | 'Running'
  | 'Soaking'
  | 'AwaitingApproval'
  | 'Paused'
  | 'Halted'
  | 'RollingBack'
  | 'Completed'
  | 'Cancelled'
  | 'RolledBack';

/** Where one target stands: no entry yet means pending (no job requested). */
export interface RolloutClientEntry {
  jobId?: string;
  outcome?: RolloutJobOutcome;
  /** The failure's code, when the job failed. */
  code?: string;
  skipped?: { reason: string; code: string };
  /** Which job of the client this is: 2 and up are retries (absent: 1). */
  attempt?: number;
  /** The job failed for a passing reason: another one is requested then. */
  retryAt?: IsoTimestamp;
}

/** One word for where a target stands. */
export type RolloutEntryState =
  'pending' | 'in_flight' | 'retrying' | 'skipped' | RolloutJobOutcome;

export function entryStateOf(entry: RolloutClientEntry | undefined): RolloutEntryState {
  if (!entry) return 'pending';
  if (entry.skipped) return 'skipped';
  if (entry.retryAt) return 'retrying';
  return entry.outcome ?? 'in_flight';
}

/** How many targets of a phase stand where; `forgiven`: failures a resume after a halt forgave. */
export type PhaseCounts = Record<RolloutEntryState, number> & { forgiven: number };

/** No target or roll-back yet at any of the ends a job can have. */
const noEnds = (): Record<RolloutJobOutcome, number> => ({
  succeeded: 0,
  failed: 0,
  rolled_back: 0,
  timed_out: 0,
  cancelled: 0,
});

const noCounts = (pending: number): PhaseCounts => ({
  pending,
  in_flight: 0,
  retrying: 0,
  skipped: 0,
  ...noEnds(),
  forgiven: 0,
});

/** A failed target's way back: its earlier release, then the roll-back job's end. */
export interface RollbackEntry {
  version: string;
  image: string;
  jobId?: string;
  outcome?: RolloutJobOutcome;
  /** The failure's code, when the roll-back job failed. */
  code?: string;
  skipped?: { reason: string; code: string };
}

export type RollbackEntryState = 'pending' | 'in_flight' | 'skipped' | RolloutJobOutcome;

export function rollbackStateOf(entry: RollbackEntry): RollbackEntryState {
  if (entry.skipped) return 'skipped';
  if (entry.outcome) return entry.outcome;
  return entry.jobId ? 'in_flight' : 'pending';
}

/** The roll-back of the failed targets, once an admin asked for it. */
export interface Rollback {
  reason?: string;
  /** The failed targets that get a job, in order. */
  order: readonly string[];
  entries: PersistentMap<RollbackEntry>;
  counts: Record<RollbackEntryState, number>;
  /** Failed targets given no job, and why. */
  left: RolloutRollbackStarted['data']['left'];
}

/**
 * What the handler found about each failed target's job (from its stream): the release the
 * client ran when it was requested, and the version the device reported at its end.
 */
export interface FailedJobRelease {
  fromVersion?: string;
  fromImage?: string;
  reportedVersion?: string;
}

export interface Rollout {
  request: RolloutStarted['data'];
  /** The phases (one of all targets for rollouts started without phases). */
  phases: RolloutPhase[];
  /** Index of the phase in progress (or, while soaking or awaiting approval, the next one). */
  phase: number;
  status: RolloutStatus;
  /** Targets that got a job or were skipped, by client id. */
  clients: PersistentMap<RolloutClientEntry>;
  /**
   * Where the targets of each phase stand, kept with every event: the limits, the progress and
   * the next wave read these instead of every target (a rollout has up to 10,000).
   */
  counts: PhaseCounts[];
  /** With a maintenance window: in which time zone each target's hours are. */
  zones?: TargetZones;
  /** Soaking: when the next phase may start. */
  soakUntil?: IsoTimestamp;
  /** Paused: the status a resume returns to. */
  pausedFrom?: RolloutStatus;
  endedAt?: IsoTimestamp;
  haltReason?: string;
  /** Present once an admin asked for the failed clients to be rolled back. */
  rollback?: Rollback;
  /** When the last event happened. */
  changedAt: IsoTimestamp;
}

/**
 * The time zones of a rollout's targets, kept with every event: the next wave and the wake-up
 * look at the few zones in play, not at every target.
 */
export interface TargetZones {
  /** The zone of each target whose hours are not in the window's own zone. */
  ofTarget: PersistentMap<string>;
  /** How many targets of each phase are pending (no job yet), by zone. */
  pending: readonly Readonly<Record<string, number>>[];
}

/** No stream yet. */
export type RolloutState = Rollout | null;
export const initialRolloutState: RolloutState = null;

export type RolloutCommand =
  | { type: 'StartRollout'; data: RolloutStarted['data'] }
  | { type: 'RecordJobRequested'; data: { clientId: string; jobId: string; at: IsoTimestamp } }
  | {
      type: 'RecordClientSkipped';
      data: { clientId: string; reason: string; code: string; at: IsoTimestamp };
    }
  | {
      type: 'RecordJobFinished';
      data: {
        clientId: string;
        jobId: string;
        outcome: RolloutJobOutcome;
        code?: string;
        at: IsoTimestamp;
      };
    }
  | { type: 'CancelRollout'; data: { at: IsoTimestamp; reason?: string } }
  | { type: 'PauseRollout'; data: { at: IsoTimestamp; reason?: string } }
  | { type: 'ResumeRollout'; data: { at: IsoTimestamp; reason?: string } }
  | { type: 'ApprovePhase'; data: { at: IsoTimestamp; approvedBy: string; comment?: string } }
  /**
   * Finish a halted or paused update rollout by returning its failed targets to what they ran
   * before; `releases` holds what their jobs' streams say, by client id.
   */
  | {
      type: 'RollBackRollout';
      data: {
        at: IsoTimestamp;
        reason?: string;
        releases: ReadonlyMap<string, FailedJobRelease>;
      };
    }
  /**
   * A client registered with the rollout's labels: a target while the rollout follows them.
   * Its labels tell the time zone of its window (the window's `timeZoneLabel`).
   */
  | {
      type: 'AddTarget';
      data: { clientId: string; at: IsoTimestamp; labels?: Record<string, string> };
    }
  /** The clock: a soak that is over lets the next phase start; a follow that is over ends. */
  | { type: 'Tick'; data: { at: IsoTimestamp } };

/** The kind of the jobs a rollout opens. */
export const jobKindOfRollout = (request: RolloutStarted['data']): JobKind =>
  request.config ? 'config' : 'update';

export const isRolloutFinal = (rollout: Rollout) =>
  rollout.status === 'Completed' ||
  rollout.status === 'Cancelled' ||
  rollout.status === 'RolledBack';

/** A job that ended so is a failure; a job an admin cancelled is not. */
export const isFailure = (outcome: RolloutEntryState | undefined) =>
  outcome === 'failed' || outcome === 'rolled_back' || outcome === 'timed_out';

/**
 * The rules of a rollout. Facts recorded twice (a re-delivered event, a second driver) decide
 * nothing. A job requested or ended is recorded whatever the status: after a pause, halt or
 * cancel the jobs already opened still run and are followed to their end.
 */
export function decideRollout(command: RolloutCommand, state: RolloutState): RolloutEvent[] {
  if (command.type === 'StartRollout') {
    if (state) throw new DomainError('already_exists', `rollout ${state.request.rolloutId} exists`);
    const started: RolloutEvent = { type: 'RolloutStarted', data: command.data };
    const first = evolveRollout(null, started)!;
    return [started, ...enterPhase(first, 0, command.data.startedAt, { opening: true })];
  }
  if (!state) throw new DomainError('not_found', 'rollout not found');
  const rolloutId = state.request.rolloutId;
  switch (command.type) {
    case 'RecordJobRequested': {
      const { clientId, jobId, at } = command.data;
      const entry = state.clients.get(clientId);
      const back = rollbackFact(state, clientId, jobId);
      if (back === 'pending') {
        return [{ type: 'RolloutRollbackJobRequested', data: { rolloutId, clientId, jobId, at } }];
      }
      if (back === 'recorded') return [];
      const retry = entry?.retryAt !== undefined && entry.jobId !== jobId;
      if (!isTarget(state, clientId) || (entry && !retry)) return [];
      return [{ type: 'RolloutJobRequested', data: { rolloutId, clientId, jobId, at } }];
    }
    case 'RecordClientSkipped': {
      const { clientId } = command.data;
      const entry = state.clients.get(clientId);
      if (state.rollback?.entries.get(clientId) && state.status === 'RollingBack') {
        if (rollbackStateOf(state.rollback.entries.get(clientId)!) !== 'pending') return [];
        return withRollbackConclusion(state, [
          { type: 'RolloutRollbackSkipped', data: { rolloutId, ...command.data } },
        ]);
      }
      // A retry may be refused too (another update in flight...): the client is skipped then.
      if (!isTarget(state, clientId) || (entry && !entry.retryAt)) return [];
      const skipped: RolloutEvent = {
        type: 'RolloutClientSkipped',
        data: { rolloutId, ...command.data },
      };
      return withConclusion(state, [skipped], command.data.at);
    }
    case 'RecordJobFinished': {
      const { clientId, jobId, outcome, code, at } = command.data;
      if (!isTarget(state, clientId)) return [];
      const entry = state.clients.get(clientId);
      const back = rollbackFact(state, clientId, jobId);
      if (back) {
        const rollbackEntry = state.rollback!.entries.get(clientId)!;
        if (rollbackEntry.outcome || rollbackEntry.skipped) return [];
        const requested: RolloutEvent[] =
          back === 'pending'
            ? [{ type: 'RolloutRollbackJobRequested', data: { rolloutId, clientId, jobId, at } }]
            : [];
        const finished: RolloutEvent = {
          type: 'RolloutRollbackJobFinished',
          data: { rolloutId, clientId, jobId, outcome, ...(code ? { code } : {}), at },
        };
        return withRollbackConclusion(state, [...requested, finished]);
      }
      // A job whose RolloutJobRequested was never recorded (another driver lost it, or the
      // record of a retry): adopt it.
      const adopted = !entry || (entry.retryAt !== undefined && entry.jobId !== jobId);
      if (!adopted && (entry.jobId !== jobId || entry.outcome)) return [];
      const requested: RolloutEvent[] = adopted
        ? [{ type: 'RolloutJobRequested', data: { rolloutId, clientId, jobId, at } }]
        : [];
      const finished: RolloutEvent = {
        type: 'RolloutJobFinished',
        data: { rolloutId, clientId, jobId, outcome, ...(code ? { code } : {}), at },
      };
      return withConclusion(
        state,
        [...requested, finished, ...retryOf(state, entry, command.data)],
        at,
      );
    }
    case 'CancelRollout':
      refuseWhenFinal(state);
      return [{ type: 'RolloutCancelled', data: { rolloutId, ...command.data } }];
    case 'PauseRollout':
      refuseWhenFinal(state);
      if (state.status === 'Paused' || state.status === 'Halted') {
        throw conflict(state, 'rollout_not_running', `is ${state.status}: nothing to pause`);
      }
      return [{ type: 'RolloutPaused', data: { rolloutId, ...command.data } }];
    case 'ResumeRollout': {
      refuseWhenFinal(state);
      if (state.status !== 'Paused' && state.status !== 'Halted') {
        throw conflict(state, 'rollout_not_paused', `is ${state.status}: nothing to resume`);
      }
      const resumed: RolloutEvent = {
        type: 'RolloutResumed',
        data: { rolloutId, ...command.data },
      };
      return withConclusion(state, [resumed], command.data.at);
    }
    case 'ApprovePhase': {
      if (state.status !== 'AwaitingApproval') {
        throw conflict(
          state,
          'rollout_not_awaiting_approval',
          `is ${state.status}: no phase awaits approval`,
        );
      }
      const phase = state.phase;
      return [
        { type: 'RolloutPhaseApproved', data: { rolloutId, phase, ...command.data } },
        { type: 'RolloutPhaseStarted', data: { rolloutId, phase, at: command.data.at } },
      ];
    }
    case 'RollBackRollout':
      return decideRollBack(state, command.data);
    case 'AddTarget': {
      const { clientId, at, labels = {} } = command.data;
      if (!isFollowing(state, at) || isTarget(state, clientId)) return [];
      if (state.request.targets.length >= MAX_TARGETS) return [];
      const label = state.request.window?.timeZoneLabel;
      const timeZone =
        label !== undefined && Object.hasOwn(labels, label) ? labels[label] : undefined;
      return [
        {
          type: 'RolloutTargetAdded',
          data: { rolloutId, clientId, at, ...(timeZone !== undefined ? { timeZone } : {}) },
        },
      ];
    }
    case 'Tick': {
      const { at } = command.data;
      if (state.status === 'Soaking' && state.soakUntil && at >= state.soakUntil) {
        return enterPhase(state, state.phase, at, { opening: false });
      }
      // A follow that is over: the rollout may complete now.
      return state.request.followUntil && at >= state.request.followUntil
        ? withConclusion(state, [], at)
        : [];
    }
  }
}

/** As many targets as a rollout takes, added ones included. */
const MAX_TARGETS = 10_000;

/** True while a rollout by labels takes clients registered with them. */
const isFollowing = (state: Rollout, at: IsoTimestamp) =>
  !isRolloutFinal(state) &&
  state.request.followUntil !== undefined &&
  at < state.request.followUntil;

/** A retry of a job that failed for a passing reason, while the client has retries left. */
function retryOf(
  state: Rollout,
  entry: RolloutClientEntry | undefined,
  {
    clientId,
    outcome,
    code,
    at,
  }: { clientId: string; outcome: RolloutJobOutcome; code?: string; at: IsoTimestamp },
): RolloutEvent[] {
  const retries = state.request.retries;
  const attempt = (entry?.attempt ?? 1) + 1;
  if (!retries || !isPassingFailure(outcome, code) || attempt > retries.max + 1) return [];
  const retryAt = retryAtOf(retries, attempt, at);
  const rolloutId = state.request.rolloutId;
  return [
    { type: 'RolloutJobRetryScheduled', data: { rolloutId, clientId, attempt, retryAt, at } },
  ];
}

/**
 * How a job fact concerns the roll-back: 'pending' for a job (not the target's failed one) of
 * a client whose roll-back job is not recorded yet, 'recorded' for its recorded roll-back job;
 * undefined when the fact is the rollout's own business.
 */
function rollbackFact(
  state: Rollout,
  clientId: string,
  jobId: string,
): 'pending' | 'recorded' | undefined {
  const entry = state.rollback?.entries.get(clientId);
  if (!entry || state.clients.get(clientId)?.jobId === jobId) return undefined;
  if (entry.jobId === undefined) return entry.skipped ? undefined : 'pending';
  return entry.jobId === jobId ? 'recorded' : undefined;
}

/**
 * The roll-back's start: each failed target whose earlier release is known, and that the
 * device did not report being back on already, gets a job to it. A timed-out job says nothing
 * of where the device stands, so its client is always rolled back.
 */
function decideRollBack(
  state: Rollout,
  { at, reason, releases }: Extract<RolloutCommand, { type: 'RollBackRollout' }>['data'],
): RolloutEvent[] {
  refuseWhenFinal(state);
  const rolloutId = state.request.rolloutId;
  const refuse = (why: string) => conflict(state, 'rollout_cannot_roll_back', why);
  if (jobKindOfRollout(state.request) !== 'update') {
    throw refuse('rolls out a configuration: only an update rollout rolls back');
  }
  if (state.status !== 'Halted' && state.status !== 'Paused') {
    throw conflict(state, 'rollout_not_paused', `is ${state.status}: pause it first`);
  }
  const inFlight = countsOf(state).in_flight;
  if (inFlight > 0) throw refuse(`has ${inFlight} jobs in flight: roll back once they ended`);
  const targets: RollbackTarget[] = [];
  const left: RolloutRollbackStarted['data']['left'] = [];
  for (const clientId of state.request.targets) {
    const entry = state.clients.get(clientId);
    if (!entry || !isFailure(entry.outcome)) continue;
    const release = releases.get(clientId) ?? {};
    const { fromVersion, fromImage, reportedVersion } = release;
    if (!fromVersion || !fromImage) {
      left.push({
        clientId,
        code: 'previous_release_unknown',
        reason: `the image client ${clientId} ran before job ${entry.jobId} is not known (no earlier update recorded it)`,
      });
    } else if (entry.outcome !== 'timed_out' && reportedVersion === fromVersion) {
      left.push({
        clientId,
        code: 'already_on_previous_release',
        reason: `client ${clientId} reported ${fromVersion} again when job ${entry.jobId} ended`,
      });
    } else {
      targets.push({ clientId, version: fromVersion, image: fromImage });
    }
  }
  if (targets.length + left.length === 0) throw refuse('has no failed client to roll back');
  const started: RolloutEvent = {
    type: 'RolloutRollbackStarted',
    data: { rolloutId, targets, left, at, ...(reason ? { reason } : {}) },
  };
  return withRollbackConclusion(state, [started]);
}

/** `events`, and the roll-back's end when they leave no roll-back job to wait for. */
function withRollbackConclusion(state: Rollout, events: RolloutEvent[]): RolloutEvent[] {
  const next = events.reduce<RolloutState>(evolveRollout, state)!;
  const counts = next.rollback?.counts;
  if (!counts || next.status !== 'RollingBack' || counts.pending + counts.in_flight > 0) {
    return events;
  }
  const at = next.changedAt;
  const failed = counts.failed + counts.rolled_back + counts.timed_out + counts.cancelled;
  return [
    ...events,
    {
      type: 'RolloutRolledBack',
      data: {
        rolloutId: state.request.rolloutId,
        succeeded: counts.succeeded,
        failed,
        skipped: counts.skipped,
        at,
      },
    },
  ];
}

function refuseWhenFinal(state: Rollout): void {
  if (isRolloutFinal(state)) {
    throw conflict(state, 'rollout_final', `already ended as ${state.status}`);
  }
}

const conflict = (state: Rollout, code: DomainErrorCode, what: string) =>
  new DomainError(code, `rollout ${state.request.rolloutId} ${what}`, {
    rolloutId: state.request.rolloutId,
    status: state.status,
  });

/**
 * The events that open phase `phase`: a wait for approval when it needs one, else its start
 * (implicit for the first phase when the rollout opens).
 */
function enterPhase(
  state: Rollout,
  phase: number,
  at: IsoTimestamp,
  { opening }: { opening: boolean },
): RolloutEvent[] {
  const rolloutId = state.request.rolloutId;
  if (state.phases[phase]?.requiresApproval) {
    return [{ type: 'RolloutPhaseAwaitingApproval', data: { rolloutId, phase, at } }];
  }
  return opening ? [] : [{ type: 'RolloutPhaseStarted', data: { rolloutId, phase, at } }];
}

/**
 * What follows `events` for a running rollout: a halt when a failure limit is passed, else the
 * end of the phase when its last target settled (the next phase, a soak, a wait for approval,
 * or the rollout's completion).
 */
function withConclusion(state: Rollout, events: RolloutEvent[], at: IsoTimestamp): RolloutEvent[] {
  const next = events.reduce<RolloutState>(evolveRollout, state)!;
  if (next.status !== 'Running') return events;
  const rolloutId = state.request.rolloutId;
  const haltReason = passedLimit(next);
  if (haltReason) {
    const failures = tally(next).failed;
    return [
      ...events,
      { type: 'RolloutHalted', data: { rolloutId, reason: haltReason, failures, at } },
    ];
  }
  const phase = next.phases[next.phase];
  if (tally(next, next.phase).unsettled > 0) return events;
  if (next.phase === next.phases.length - 1) {
    // A rollout that follows its labels stays open for clients still to come.
    if (isFollowing(next, at)) return events;
    return [...events, { type: 'RolloutCompleted', data: { rolloutId, at } }];
  }
  const soakUntil =
    phase.soakSeconds > 0
      ? new Date(Date.parse(at) + phase.soakSeconds * 1000).toISOString()
      : undefined;
  const completed: RolloutEvent = {
    type: 'RolloutPhaseCompleted',
    data: { rolloutId, phase: next.phase, at, ...(soakUntil ? { soakUntil } : {}) },
  };
  if (soakUntil) return [...events, completed];
  const after = evolveRollout(next, completed)!;
  return [...events, completed, ...enterPhase(after, after.phase, at, { opening: false })];
}

/** Why the rollout must halt, if a limit of the rollout or of its current phase is passed. */
function passedLimit(rollout: Rollout): string | undefined {
  const { maxFailures, maxFailureRate } = rollout.request;
  const whole = tally(rollout);
  if (whole.failed > maxFailures) {
    return `${whole.failed} failed jobs exceed maxFailures ${maxFailures}`;
  }
  const phase = rollout.phases[rollout.phase];
  const current = tally(rollout, rollout.phase);
  const where = `phase ${rollout.phase + 1}`;
  if (phase.maxFailures !== undefined && current.failed > phase.maxFailures) {
    return `${current.failed} failed jobs in ${where} exceed its maxFailures ${phase.maxFailures}`;
  }
  return (
    rateExceeded(whole, maxFailureRate, 'the rollout') ??
    rateExceeded(current, phase.maxFailureRate, where)
  );
}

function rateExceeded(
  { failed, finished }: Tally,
  limit: FailureRate | undefined,
  where: string,
): string | undefined {
  if (!limit || finished < limit.minFinished || finished === 0) return undefined;
  const percent = (failed * 100) / finished;
  if (percent <= limit.percent) return undefined;
  return `${failed} of ${finished} finished jobs in ${where} failed (${Math.round(percent)}%), over maxFailureRate ${limit.percent}%`;
}

interface Tally {
  /** Jobs that ended (an admin's cancel excepted), counted by the limits. */
  finished: number;
  /** Of those, the failures not forgiven. */
  failed: number;
  /** Targets without an end yet: pending or in flight. */
  unsettled: number;
}

/** The counts the limits look at, of the whole rollout or of one phase. */
function tally(rollout: Rollout, phase?: number): Tally {
  const counts = countsOf(rollout, phase);
  const failed = failuresIn(counts) - counts.forgiven;
  return {
    finished: counts.succeeded + failed,
    failed,
    unsettled: counts.pending + counts.in_flight + counts.retrying,
  };
}

const failuresIn = (counts: PhaseCounts) => counts.failed + counts.rolled_back + counts.timed_out;

/** The counts of one phase, or summed over all. */
function countsOf(rollout: Rollout, phase?: number): PhaseCounts {
  if (phase !== undefined) return rollout.counts[phase];
  const sum = noCounts(0);
  for (const counts of rollout.counts) {
    for (const key of Object.keys(sum) as (keyof PhaseCounts)[]) sum[key] += counts[key];
  }
  return sum;
}

/** The targets of one phase, or of the whole rollout. */
export function targetsOf(rollout: Rollout, phase?: number): readonly string[] {
  if (phase === undefined) return rollout.request.targets;
  const start = phaseOffsets(rollout.phases)[phase];
  return rollout.request.targets.slice(start, start + rollout.phases[phase].size);
}

const positions = new WeakMap<readonly string[], ReadonlyMap<string, number>>();

/** Where the client stands in the rollout's targets (undefined: not a target). */
export function targetPosition(rollout: Rollout, clientId: string): number | undefined {
  const targets = rollout.request.targets;
  let index = positions.get(targets);
  if (!index) {
    index = new Map(targets.map((target, position) => [target, position]));
    positions.set(targets, index);
  }
  return index.get(clientId);
}

const isTarget = (state: Rollout, clientId: string) =>
  targetPosition(state, clientId) !== undefined;

/** The phase a target position falls in. */
function phaseOfPosition(phases: readonly RolloutPhase[], position: number): number {
  let end = 0;
  for (let phase = 0; phase < phases.length; phase++) {
    end += phases[phase].size;
    if (position < end) return phase;
  }
  return phases.length - 1;
}

/**
 * The next clients to request a job for: retries due by `now` first, then pending targets of
 * the current phase in order, as many as its free slots (its batchSize minus jobs in flight).
 * None unless the rollout runs.
 */
export function nextWave(state: RolloutState, now?: IsoTimestamp): string[] {
  if (state?.status === 'RollingBack') return nextRollbackWave(state);
  if (!state || state.status !== 'Running') return [];
  const inFlight = state.counts.reduce((sum, counts) => sum + counts.in_flight, 0);
  const free = state.phases[state.phase].batchSize - inFlight;
  if (free <= 0) return [];
  const open = openWindowsAt(state, now);
  const targets = targetsOf(state, state.phase);
  const counts = state.counts[state.phase];
  const wave: string[] = [];
  if (counts.retrying > 0) {
    for (const clientId of targets) {
      const retryAt = state.clients.get(clientId)?.retryAt;
      const due = retryAt !== undefined && now !== undefined && retryAt <= now;
      if (due && open.forTarget(clientId)) wave.push(clientId);
      if (wave.length === free) return wave;
    }
  }
  if (counts.pending === 0 || !open.forPending()) return wave;
  for (const clientId of targets) {
    if (!state.clients.has(clientId) && open.forTarget(clientId)) wave.push(clientId);
    if (wave.length === free) break;
  }
  return wave;
}

/**
 * The failed targets to request a roll-back job for, in order, as many as the current phase's
 * batchSize allows beside the roll-back jobs in flight. A roll-back ignores the maintenance
 * window: it undoes a failure, and an admin asked for it now.
 */
function nextRollbackWave(state: Rollout): string[] {
  const rollback = state.rollback!;
  const free = state.phases[state.phase].batchSize - rollback.counts.in_flight;
  if (free <= 0 || rollback.counts.pending === 0) return [];
  const wave: string[] = [];
  for (const clientId of rollback.order) {
    if (rollbackStateOf(rollback.entries.get(clientId)!) === 'pending') wave.push(clientId);
    if (wave.length === free) break;
  }
  return wave;
}

/** The release a client's roll-back job installs. */
export const rollbackTargetOf = (state: Rollout, clientId: string): RollbackEntry | undefined =>
  state.rollback?.entries.get(clientId);

/**
 * Whose maintenance window is open at `now` (none without a `now`; everyone's without a
 * window). Each time zone is looked at once.
 */
function openWindowsAt(state: Rollout, now: IsoTimestamp | undefined) {
  const { window } = state.request;
  const { zones } = state;
  if (!window || !zones) return { forTarget: () => true, forPending: () => true };
  const open = new Map<string, boolean>();
  const isOpenIn = (zone: string) => {
    let isOpen = open.get(zone);
    if (isOpen === undefined) {
      isOpen = now !== undefined && isInsideWindow(windowIn(window, zone), now);
      open.set(zone, isOpen);
    }
    return isOpen;
  };
  return {
    forTarget: (clientId: string) => isOpenIn(zoneOf(window, zones, clientId)),
    /** True when some pending target of the current phase may get its job. */
    forPending: () => pendingZones(zones, state.phase).some(isOpenIn),
  };
}

/** The time zone of the target's hours. */
const zoneOf = (window: MaintenanceWindow, zones: TargetZones | undefined, clientId: string) =>
  zones?.ofTarget.get(clientId) ?? window.timeZone;

/** The zones with pending targets in the phase. */
const pendingZones = (zones: TargetZones, phase: number) =>
  Object.entries(zones.pending[phase] ?? {})
    .filter(([, count]) => count > 0)
    .map(([zone]) => zone);

/**
 * When the rollout's clock must look at it again: a soak's end, the end of a follow, its first
 * retry due, or (with a maintenance window) the next opening of the window in a time zone with
 * pending targets of the current phase, when jobs may start again. The targets are grouped by
 * zone: a few windows are looked at, not 10,000.
 */
export function wakeAtOf(state: Rollout): IsoTimestamp | undefined {
  if (state.status === 'Soaking') return state.soakUntil;
  if (state.status !== 'Running') return undefined;
  const { followUntil, window } = state.request;
  const times = [
    followUntil && followUntil > state.changedAt ? followUntil : undefined,
    ...firstRetryByZone(state).map(([zone, retryAt]) =>
      // A retry due outside its window waits for the window's next opening.
      window && !isInsideWindow(windowIn(window, zone), retryAt)
        ? nextWindowOpening(windowIn(window, zone), retryAt)
        : retryAt,
    ),
    ...(window && state.zones
      ? pendingZones(state.zones, state.phase).map((zone) =>
          nextWindowOpening(windowIn(window, zone), state.changedAt),
        )
      : []),
  ];
  return times.filter((at): at is IsoTimestamp => at !== undefined).sort()[0];
}

/** The earliest retry of each time zone (one zone without a window). */
function firstRetryByZone(state: Rollout): [string, IsoTimestamp][] {
  if (!state.counts.some((counts) => counts.retrying > 0)) return [];
  const { window } = state.request;
  const first = new Map<string, IsoTimestamp>();
  for (const [clientId, { retryAt }] of state.clients.entries()) {
    if (!retryAt) continue;
    const zone = window ? zoneOf(window, state.zones, clientId) : '';
    const earliest = first.get(zone);
    if (!earliest || retryAt < earliest) first.set(zone, retryAt);
  }
  return [...first];
}

export interface RolloutProgress {
  total: number;
  pending: number;
  inFlight: number;
  /** Targets whose job failed for a passing reason, waiting for their retry. */
  retrying: number;
  succeeded: number;
  /** Jobs that failed, rolled back or timed out. */
  failed: number;
  /** Jobs an admin cancelled. */
  cancelled: number;
  skipped: number;
  /** Targets settled (job ended, or skipped) out of all, 0-100. */
  percentDone: number;
}

/** The counts shown to people, of the whole rollout or of one phase. */
export function progressOf(state: Rollout, phase?: number): RolloutProgress {
  const counts = countsOf(state, phase);
  const total = phase === undefined ? state.request.targets.length : state.phases[phase].size;
  const failed = failuresIn(counts);
  const done = counts.succeeded + failed + counts.cancelled + counts.skipped;
  return {
    total,
    pending: counts.pending,
    inFlight: counts.in_flight,
    retrying: counts.retrying,
    succeeded: counts.succeeded,
    failed,
    cancelled: counts.cancelled,
    skipped: counts.skipped,
    percentDone: total === 0 ? 100 : Math.floor((done * 100) / total),
  };
}

export function evolveRollout(state: RolloutState, event: RolloutEvent): RolloutState {
  if (event.type === 'RolloutStarted') {
    const { phases: requested, targets, batchSize } = event.data;
    const phases = requested ?? singlePhase(targets.length, batchSize);
    const zones = targetZonesOf(event.data, phases);
    return {
      request: event.data,
      phases,
      phase: 0,
      status: 'Running',
      clients: PersistentMap.empty(),
      counts: phases.map((phase) => noCounts(phase.size)),
      ...(zones ? { zones } : {}),
      changedAt: event.data.startedAt,
    };
  }
  if (!state) return state;
  return evolveOnward({ ...state, changedAt: event.data.at }, event);
}

/** The events after the start, each of which carries when it happened. */
function evolveOnward(
  state: Rollout,
  event: Exclude<RolloutEvent, { type: 'RolloutStarted' }>,
): Rollout {
  switch (event.type) {
    case 'RolloutJobRequested': {
      const attempt = state.clients.get(event.data.clientId)?.attempt;
      return withClient(state, event.data.clientId, {
        jobId: event.data.jobId,
        ...(attempt ? { attempt } : {}),
      });
    }
    case 'RolloutTargetAdded': {
      // The last phase takes it.
      const last = state.phases.length - 1;
      return {
        ...state,
        request: { ...state.request, targets: [...state.request.targets, event.data.clientId] },
        phases: state.phases.map((phase, i) =>
          i === last ? { ...phase, size: phase.size + 1 } : phase,
        ),
        counts: state.counts.map((counts, i) =>
          i === last ? { ...counts, pending: counts.pending + 1 } : counts,
        ),
        ...withTargetZone(state, last, event.data.clientId, event.data.timeZone),
      };
    }
    case 'RolloutClientSkipped':
      return withClient(state, event.data.clientId, {
        skipped: { reason: event.data.reason, code: event.data.code },
      });
    case 'RolloutJobFinished': {
      const { clientId, jobId, outcome, code } = event.data;
      const attempt = state.clients.get(clientId)?.attempt;
      return withClient(state, clientId, {
        jobId,
        outcome,
        ...(code ? { code } : {}),
        ...(attempt ? { attempt } : {}),
      });
    }
    case 'RolloutJobRetryScheduled': {
      const { clientId, attempt, retryAt } = event.data;
      return withClient(state, clientId, { ...state.clients.get(clientId), attempt, retryAt });
    }
    case 'RolloutHalted':
      return { ...state, status: 'Halted', haltReason: event.data.reason };
    case 'RolloutCompleted':
      return { ...state, status: 'Completed', endedAt: event.data.at };
    case 'RolloutCancelled':
      return { ...state, status: 'Cancelled', endedAt: event.data.at };
    case 'RolloutPhaseCompleted': {
      const { soakUntil } = event.data;
      return {
        ...state,
        phase: event.data.phase + 1,
        ...(soakUntil ? { status: 'Soaking', soakUntil } : {}),
      };
    }
    case 'RolloutPhaseAwaitingApproval':
      return {
        ...state,
        phase: event.data.phase,
        status: 'AwaitingApproval',
        soakUntil: undefined,
      };
    case 'RolloutPhaseApproved':
      return state;
    case 'RolloutPhaseStarted':
      return { ...state, phase: event.data.phase, status: 'Running', soakUntil: undefined };
    case 'RolloutPaused':
      return { ...state, status: 'Paused', pausedFrom: state.status };
    case 'RolloutRollbackStarted': {
      const { targets, left, reason } = event.data;
      const rollback: Rollback = {
        ...(reason ? { reason } : {}),
        order: targets.map(({ clientId }) => clientId),
        entries: PersistentMap.of(
          targets.map(({ clientId, version, image }) => [clientId, { version, image }] as const),
        ),
        counts: { ...noRollbackCounts(), pending: targets.length },
        left,
      };
      return { ...state, status: 'RollingBack', pausedFrom: undefined, rollback };
    }
    case 'RolloutRollbackJobRequested':
      return withRollbackEntry(state, event.data.clientId, { jobId: event.data.jobId });
    case 'RolloutRollbackJobFinished': {
      const { jobId, outcome, code } = event.data;
      return withRollbackEntry(state, event.data.clientId, {
        jobId,
        outcome,
        ...(code ? { code } : {}),
      });
    }
    case 'RolloutRollbackSkipped': {
      const { reason, code } = event.data;
      return withRollbackEntry(state, event.data.clientId, { skipped: { reason, code } });
    }
    case 'RolloutRolledBack':
      return { ...state, status: 'RolledBack', endedAt: event.data.at };
    case 'RolloutResumed':
      return state.status === 'Halted'
        ? { ...state, status: 'Running', haltReason: undefined, ...forgivingFailures(state) }
        : { ...state, status: state.pausedFrom ?? 'Running', pausedFrom: undefined };
  }
}

/**
 * After a halt, the failures so far are forgiven: the limits count from the resume on. (A
 * failure is final: a forgiven client never counts again.)
 */
function forgivingFailures(state: Rollout): Pick<Rollout, 'counts'> {
  return { counts: state.counts.map((counts) => ({ ...counts, forgiven: failuresIn(counts) })) };
}

/** The rollout with the client's entry replaced, and its phase's counts moved along. */
function withClient(state: Rollout, clientId: string, entry: RolloutClientEntry): Rollout {
  const position = targetPosition(state, clientId);
  const clients = state.clients.with(clientId, entry);
  if (position === undefined) return { ...state, clients };
  const phase = phaseOfPosition(state.phases, position);
  const before = entryStateOf(state.clients.get(clientId));
  const after = entryStateOf(entry);
  const counts = [...state.counts];
  counts[phase] = { ...counts[phase], [before]: counts[phase][before] - 1 };
  counts[phase][after] += 1;
  const zones = before === 'pending' ? leavingPending(state, phase, clientId) : {};
  return { ...state, clients, counts, ...zones };
}

/**
 * The zones of a rollout's targets as it starts: each target's label value read as a time
 * zone (see timeZoneOfTarget). None without a window.
 */
function targetZonesOf(
  request: RolloutStarted['data'],
  phases: readonly RolloutPhase[],
): TargetZones | undefined {
  const { window, targets, targetTimeZones = {} } = request;
  if (!window) return undefined;
  const ofTarget: [string, string][] = [];
  const pending = phases.map((): Record<string, number> => ({}));
  targets.forEach((clientId, position) => {
    const labelValue = Object.hasOwn(targetTimeZones, clientId)
      ? targetTimeZones[clientId]
      : undefined;
    const zone = zoneOfLabel(window, labelValue);
    if (zone !== window.timeZone) ofTarget.push([clientId, zone]);
    const phasePending = pending[phaseOfPosition(phases, position)];
    phasePending[zone] = (phasePending[zone] ?? 0) + 1;
  });
  return { ofTarget: PersistentMap.of(ofTarget), pending };
}

/** The label value counts only while the window names a label. */
const zoneOfLabel = (window: MaintenanceWindow, labelValue: string | undefined) =>
  timeZoneOfTarget(window, window.timeZoneLabel === undefined ? undefined : labelValue);

/** The zones with a target added to `phase`, pending in the zone its label value names. */
function withTargetZone(
  state: Rollout,
  phase: number,
  clientId: string,
  labelValue: string | undefined,
): Pick<Rollout, 'zones'> {
  const { window } = state.request;
  if (!window || !state.zones) return {};
  const zone = zoneOfLabel(window, labelValue);
  const ofTarget =
    zone === window.timeZone ? state.zones.ofTarget : state.zones.ofTarget.with(clientId, zone);
  return { zones: { ofTarget, pending: countedPending(state.zones, phase, zone, +1) } };
}

/** The zones once the target got its job or was skipped. */
function leavingPending(state: Rollout, phase: number, clientId: string): Pick<Rollout, 'zones'> {
  const { window } = state.request;
  if (!window || !state.zones) return {};
  const zone = zoneOf(window, state.zones, clientId);
  return { zones: { ...state.zones, pending: countedPending(state.zones, phase, zone, -1) } };
}

function countedPending(
  zones: TargetZones,
  phase: number,
  zone: string,
  change: number,
): TargetZones['pending'] {
  const pending = [...zones.pending];
  pending[phase] = { ...pending[phase], [zone]: (pending[phase]?.[zone] ?? 0) + change };
  return pending;
}

const noRollbackCounts = (): Record<RollbackEntryState, number> => ({
  pending: 0,
  in_flight: 0,
  skipped: 0,
  ...noEnds(),
});

/** The rollout with a roll-back entry moved along (its release kept), and the counts with it. */
function withRollbackEntry(
  state: Rollout,
  clientId: string,
  change: Partial<RollbackEntry>,
): Rollout {
  const rollback = state.rollback;
  const before = rollback?.entries.get(clientId);
  if (!rollback || !before) return state;
  const after: RollbackEntry = { ...before, ...change };
  const counts = { ...rollback.counts };
  counts[rollbackStateOf(before)] -= 1;
  counts[rollbackStateOf(after)] += 1;
  return {
    ...state,
    rollback: { ...rollback, entries: rollback.entries.with(clientId, after), counts },
  };
}

export const foldRollout = (events: readonly RolloutEvent[]): RolloutState =>
  events.reduce(evolveRollout, initialRolloutState);

/** Decides several commands in a row, each on the state the previous ones left. */
export function decideRolloutAll(
  commands: readonly RolloutCommand[],
  state: RolloutState,
): { events: RolloutEvent[]; state: RolloutState } {
  const events: RolloutEvent[] = [];
  let current = state;
  for (const command of commands) {
    const decided = decideRollout(command, current);
    events.push(...decided);
    current = decided.reduce(evolveRollout, current);
  }
  return { events, state: current };
}
