import { DomainError } from '../../shared/domain/domain-error';
import type { IsoTimestamp } from '../../shared/domain/domain-event';
import type { RolloutEvent, RolloutJobOutcome, RolloutStarted } from './rollout.events';

export type RolloutStatus = 'Running' | 'Halted' | 'Completed' | 'Cancelled';

/** Where one target stands: no entry yet means pending (no job requested). */
export interface RolloutClientEntry {
  jobId?: string;
  outcome?: RolloutJobOutcome;
  skipped?: { reason: string; code: string };
}

export interface Rollout {
  request: RolloutStarted['data'];
  status: RolloutStatus;
  /** Targets that got a job or were skipped, by client id. */
  clients: Record<string, RolloutClientEntry>;
  /** Jobs that ended other than succeeded. */
  failures: number;
  endedAt?: IsoTimestamp;
  haltReason?: string;
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
      data: { clientId: string; jobId: string; outcome: RolloutJobOutcome; at: IsoTimestamp };
    }
  | { type: 'CancelRollout'; data: { at: IsoTimestamp; reason?: string } };

export const isRolloutFinal = (rollout: Rollout) => rollout.status !== 'Running';

/**
 * The rules of a rollout. Facts recorded twice (a re-delivered event, a second driver) decide
 * nothing. A job requested is recorded whatever the status: after a cancel or a halt the jobs
 * already opened still run and are followed to their end.
 */
export function decideRollout(command: RolloutCommand, state: RolloutState): RolloutEvent[] {
  if (command.type === 'StartRollout') {
    if (state) throw new DomainError('already_exists', `rollout ${state.request.rolloutId} exists`);
    return [{ type: 'RolloutStarted', data: command.data }];
  }
  if (!state) throw new DomainError('not_found', 'rollout not found');
  const rolloutId = state.request.rolloutId;
  switch (command.type) {
    case 'RecordJobRequested': {
      const { clientId, jobId, at } = command.data;
      if (!isTarget(state, clientId) || state.clients[clientId]) return [];
      return [{ type: 'RolloutJobRequested', data: { rolloutId, clientId, jobId, at } }];
    }
    case 'RecordClientSkipped': {
      const { clientId } = command.data;
      if (!isTarget(state, clientId) || state.clients[clientId]) return [];
      const skipped: RolloutEvent = {
        type: 'RolloutClientSkipped',
        data: { rolloutId, ...command.data },
      };
      return withConclusion(state, [skipped], command.data.at);
    }
    case 'RecordJobFinished': {
      const { clientId, jobId, outcome, at } = command.data;
      if (!isTarget(state, clientId)) return [];
      const entry = state.clients[clientId];
      if (entry && (entry.jobId !== jobId || entry.outcome)) return [];
      // A job whose RolloutJobRequested was never recorded (another driver lost it): adopt it.
      const requested: RolloutEvent[] = entry
        ? []
        : [{ type: 'RolloutJobRequested', data: { rolloutId, clientId, jobId, at } }];
      const finished: RolloutEvent = {
        type: 'RolloutJobFinished',
        data: { rolloutId, clientId, jobId, outcome, at },
      };
      return withConclusion(state, [...requested, finished], at);
    }
    case 'CancelRollout':
      if (isRolloutFinal(state)) {
        throw new DomainError(
          'rollout_final',
          `rollout ${rolloutId} already ended as ${state.status}`,
          { rolloutId, status: state.status },
        );
      }
      return [{ type: 'RolloutCancelled', data: { rolloutId, ...command.data } }];
  }
}

/** Appends RolloutHalted or RolloutCompleted when `events` bring a running rollout there. */
function withConclusion(state: Rollout, events: RolloutEvent[], at: IsoTimestamp): RolloutEvent[] {
  if (isRolloutFinal(state)) return events;
  const next = events.reduce<RolloutState>(evolveRollout, state)!;
  const rolloutId = state.request.rolloutId;
  if (next.failures > next.request.maxFailures) {
    const reason = `${next.failures} failed jobs exceed maxFailures ${next.request.maxFailures}`;
    return [
      ...events,
      { type: 'RolloutHalted', data: { rolloutId, reason, failures: next.failures, at } },
    ];
  }
  const { pending, inFlight } = progressOf(next);
  if (pending === 0 && inFlight === 0) {
    return [...events, { type: 'RolloutCompleted', data: { rolloutId, at } }];
  }
  return events;
}

const isTarget = (state: Rollout, clientId: string) => state.request.targets.includes(clientId);

/**
 * The next clients to request a job for: pending targets in order, as many as free slots
 * (batchSize minus jobs in flight). None unless the rollout runs.
 */
export function nextWave(state: RolloutState): string[] {
  if (!state || isRolloutFinal(state)) return [];
  const free = state.request.batchSize - progressOf(state).inFlight;
  if (free <= 0) return [];
  return state.request.targets.filter((clientId) => !state.clients[clientId]).slice(0, free);
}

export interface RolloutProgress {
  total: number;
  pending: number;
  inFlight: number;
  succeeded: number;
  /** Jobs that ended failed, rolled back, timed out or cancelled. */
  failed: number;
  skipped: number;
  /** Targets settled (job ended, or skipped) out of all, 0-100. */
  percentDone: number;
}

export function progressOf(state: Rollout): RolloutProgress {
  const entries = Object.values(state.clients);
  const total = state.request.targets.length;
  const skipped = entries.filter((entry) => entry.skipped).length;
  const succeeded = entries.filter((entry) => entry.outcome === 'succeeded').length;
  const failed = entries.filter((entry) => entry.outcome && entry.outcome !== 'succeeded').length;
  const inFlight = entries.filter((entry) => entry.jobId && !entry.outcome).length;
  const done = skipped + succeeded + failed;
  return {
    total,
    pending: total - entries.length,
    inFlight,
    succeeded,
    failed,
    skipped,
    percentDone: total === 0 ? 100 : Math.floor((done * 100) / total),
  };
}

export function evolveRollout(state: RolloutState, event: RolloutEvent): RolloutState {
  if (event.type === 'RolloutStarted') {
    return { request: event.data, status: 'Running', clients: {}, failures: 0 };
  }
  if (!state) return state;
  switch (event.type) {
    case 'RolloutJobRequested':
      return withClient(state, event.data.clientId, { jobId: event.data.jobId });
    case 'RolloutClientSkipped':
      return withClient(state, event.data.clientId, {
        skipped: { reason: event.data.reason, code: event.data.code },
      });
    case 'RolloutJobFinished':
      return {
        ...withClient(state, event.data.clientId, {
          jobId: event.data.jobId,
          outcome: event.data.outcome,
        }),
        failures: state.failures + (event.data.outcome === 'succeeded' ? 0 : 1),
      };
    case 'RolloutHalted':
      return { ...state, status: 'Halted', endedAt: event.data.at, haltReason: event.data.reason };
    case 'RolloutCompleted':
      return { ...state, status: 'Completed', endedAt: event.data.at };
    case 'RolloutCancelled':
      return { ...state, status: 'Cancelled', endedAt: event.data.at };
  }
}

function withClient(state: Rollout, clientId: string, entry: RolloutClientEntry): Rollout {
  return { ...state, clients: { ...state.clients, [clientId]: entry } };
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
