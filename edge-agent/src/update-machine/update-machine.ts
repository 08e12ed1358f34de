import { assign, setup, type StateValueFrom } from 'xstate';
import { SUCCESSFUL_UPDATE_PHASES, type UpdatePhase } from '@opcfleet/contracts';

/**
 * The update statechart. It has no invoked actors: the runner computes each next snapshot with
 * XState's pure `transition()`, persists it, and only then runs the new state's effect, whose
 * outcome comes back as the next event. Deadlines, retry limits and back-off are data in the
 * context, decided here by guards and assigns, so a restored job keeps them.
 *
 * Bump MACHINE_VERSION when states, events or context change shape: a snapshot this agent
 * cannot read is then reported as incompatible and recovered explicitly instead of being guessed
 * at. Version 2 added `probation` (its state, event and context fields): an agent of version 1
 * cannot resume a job in it, while every version-1 snapshot reads the same here, so this agent
 * resumes both (READABLE_MACHINE_VERSIONS).
 */
export const MACHINE_VERSION = 2;
export const READABLE_MACHINE_VERSIONS: readonly number[] = [1, 2];

export type StepError = { code: string; message: string };

/** States with work to do on the device: each has an effect and a deadline. */
export const ACTIVE_STATES = [
  'received',
  'pulling',
  'pulled',
  'stopping_old',
  'starting_new',
  'verifying',
  'probation',
  'committed',
  'rolling_back',
] as const;
/** States the job ends in; nothing runs there. */
export const FINAL_STATES = ['rolled_back', 'failed', 'cancelled'] as const;

export type ActiveState = (typeof ACTIVE_STATES)[number];
export type FinalState = (typeof FINAL_STATES)[number];

/**
 * Milliseconds each state may take before it times out; for `probation`, the margin after the
 * probation period itself.
 */
export type StateDeadlines = Record<ActiveState, number>;

export interface RetryPolicy {
  maxPullAttempts: number;
  maxRollbackAttempts: number;
  backoffBaseMs: number;
  backoffCapMs: number;
}

export interface UpdateJobInput {
  jobId: string;
  correlationId: string;
  /**
   * W3C trace context of the command, when it carried one: every step's span and every report
   * of the job belong to that trace, also after a restart (it is saved with the job). Optional
   * data that no state or guard reads, so the machine's version stays as it is.
   */
  traceparent?: string;
  targetVersion: string;
  image: string;
  imageDigest?: string;
  containerName: string;
  deadlines: StateDeadlines;
  retry: RetryPolicy;
  /**
   * How long the new version must keep running after it passed its health check before the
   * update commits (the old container is kept until then); 0 commits at once. Jobs saved by
   * machine version 1 have none.
   */
  probationMs?: number;
  /** ISO time of the command's arrival: every time in the machine comes in as data. */
  at: string;
}

export interface UpdateJobContext extends Omit<UpdateJobInput, 'at'> {
  /** The old container is renamed to this, not removed, until the update is committed. */
  backupName: string;
  oldContainerId?: string;
  oldImageId?: string;
  oldImageRef?: string;
  oldVersion?: string;
  /** Download size the registry announced, for progress reports (absent when unknown). */
  imageSizeBytes?: number;
  newImageId?: string;
  newContainerId?: string;
  /** The new container's restart count when it passed its health check: a restart after it is a crash. */
  newRestartBaseline?: number;
  /** ISO time the probation ends and the update commits. */
  probationUntil?: string;
  /** Attempts made in the current state (retries re-enter it). */
  attempts: number;
  /** ISO time after which the current state's work is abandoned with a TIMEOUT. */
  deadlineAt: string;
  /** ISO time before which a retried step must not start (exponential back-off). */
  notBefore?: string;
  /** Why the job failed or rolled back. */
  error?: StepError;
  cleanupDone: boolean;
}

type At = { at: string };
export type UpdateJobEvent =
  | ({
      type: 'PREPARED';
      oldContainerId: string;
      oldImageId: string;
      oldImageRef: string;
      oldVersion?: string;
      imageSizeBytes?: number;
    } & At)
  | ({ type: 'PREPARE_FAILED'; error: StepError } & At)
  | ({ type: 'PULLED'; imageId: string } & At)
  | ({ type: 'PULL_FAILED'; error: StepError; retryable: boolean } & At)
  /** `imageId` when the image had to be pulled again. */
  | ({ type: 'PROCEED'; imageId?: string } & At)
  | ({ type: 'OLD_STOPPED'; newContainerId: string } & At)
  | ({ type: 'NEW_STARTED' } & At)
  | ({ type: 'VERIFIED'; restartCount: number } & At)
  | ({ type: 'PROBATION_PASSED' } & At)
  | ({ type: 'STEP_FAILED'; error: StepError } & At)
  | ({ type: 'ROLLED_BACK' } & At)
  | ({ type: 'CLEANED_UP' } & At)
  | ({ type: 'CANCEL' } & At)
  /** `error` says why the deadline passed when that is known (the engine was unavailable). */
  | ({ type: 'TIMEOUT'; state: string; error?: StepError } & At);

export type UpdateJobState = ActiveState | FinalState;

/**
 * The phase the service is told when the job enters a state; null: not reported. Probation is
 * not a phase the service knows: it keeps seeing `verifying` until `committed` (or
 * `rolling_back`), so services that predate it read every report unchanged.
 */
export const REPORTED_PHASE: Record<UpdateJobState, UpdatePhase | null> = {
  received: 'received',
  pulling: 'pulling',
  pulled: 'pulled',
  stopping_old: 'stopping_old',
  starting_new: 'starting_new',
  verifying: 'verifying',
  probation: null,
  committed: 'committed',
  rolling_back: 'rolling_back',
  rolled_back: 'rolled_back',
  failed: 'failed',
  cancelled: 'cancelled',
};

/** The phases a job reports when it commits, and when it rolls back after a failed health check. */
export const COMMIT_PATH: readonly UpdatePhase[] = SUCCESSFUL_UPDATE_PHASES;
export const ROLLBACK_PATH: readonly UpdatePhase[] = [
  ...COMMIT_PATH.slice(0, -1),
  'rolling_back',
  'rolled_back',
];

/** States a job can still be cancelled in: nothing on the device has changed yet. */
export const CANCELLABLE_STATES: readonly UpdateJobState[] = ['received', 'pulling', 'pulled'];

/** The service cancelled the job before the swap: stop, leaving the workload as it is. */
const STOP_ON_CANCEL = { CANCEL: { target: 'cancelled' } } as const;

const plus = (at: string, ms: number) => new Date(Date.parse(at) + ms).toISOString();

/** Exponential back-off with a cap: base, 2 x base, 4 x base, ... for attempts 1, 2, 3, ... */
export const backoff = (retry: RetryPolicy, attempts: number) =>
  Math.min(retry.backoffCapMs, retry.backoffBaseMs * 2 ** Math.max(0, attempts - 1));

const timeoutError = (state: string): StepError => ({
  code: 'timeout',
  message: `the ${state} step did not finish before its deadline`,
});

type DeadlineState = keyof StateDeadlines;

/** After the old container stopped, any failure or missed deadline rolls back. */
const ROLL_BACK_ON_FAILURE = {
  STEP_FAILED: {
    target: 'rolling_back',
    actions: ['fail', { type: 'enter', params: { state: 'rolling_back' } }],
  },
  TIMEOUT: {
    target: 'rolling_back',
    actions: ['timedOut', { type: 'enter', params: { state: 'rolling_back' } }],
  },
} as const;

/** A rollback that fails or hangs is tried again with back-off, then given up. */
const RETRY_ROLLBACK = [
  {
    guard: 'rollbackMayRetry',
    target: 'rolling_back',
    reenter: true,
    actions: { type: 'retry', params: { state: 'rolling_back' } },
  },
  { target: 'failed', actions: 'rollbackExhausted' },
] as const;

export const updateMachine = setup({
  types: {
    context: {} as UpdateJobContext,
    events: {} as UpdateJobEvent,
    input: {} as UpdateJobInput,
  },
  actions: {
    /** Entering a state: fresh deadline, attempts back to zero. */
    enter: assign(({ context, event }, params: { state: DeadlineState }) => ({
      deadlineAt: plus(event.at, context.deadlines[params.state]),
      attempts: 0,
      notBefore: undefined,
    })),
    /** Re-entering the same state for another attempt, after a back-off. */
    retry: assign(({ context, event }, params: { state: DeadlineState }) => {
      const attempts = context.attempts + 1;
      const wait = backoff(context.retry, attempts);
      return {
        attempts,
        deadlineAt: plus(event.at, context.deadlines[params.state] + wait),
        notBefore: plus(event.at, wait),
      };
    }),
    enterProbation: assign(({ context }) => ({
      deadlineAt: plus(context.probationUntil!, context.deadlines.probation),
      attempts: 0,
      notBefore: undefined,
    })),
    fail: assign(({ event }) => ({
      error: 'error' in event ? event.error : { code: 'failed', message: event.type },
    })),
    timedOut: assign(({ event }) => ({
      error:
        event.type === 'TIMEOUT'
          ? (event.error ?? timeoutError(event.state))
          : timeoutError('current'),
    })),
    rollbackExhausted: assign(({ context, event }) => ({
      error: {
        code: 'rollback_failed',
        message: `rollback failed ${context.attempts + 1} times (last: ${
          'error' in event && event.error ? event.error.message : 'timeout'
        }); first failure: ${context.error?.message ?? 'unknown'}`,
      },
    })),
  },
  guards: {
    pullMayRetry: ({ context, event }) =>
      event.type === 'PULL_FAILED' &&
      event.retryable &&
      context.attempts + 1 < context.retry.maxPullAttempts,
    rollbackMayRetry: ({ context }) => context.attempts + 1 < context.retry.maxRollbackAttempts,
  },
}).createMachine({
  id: 'update-job',
  initial: 'received',
  context: ({ input }) => {
    const { at, ...rest } = input;
    return {
      ...rest,
      backupName: `${input.containerName}-previous-${input.jobId.slice(0, 8)}`,
      attempts: 0,
      deadlineAt: plus(at, input.deadlines.received),
      cleanupDone: false,
    };
  },
  states: {
    received: {
      on: {
        PREPARED: {
          target: 'pulling',
          actions: [
            assign(({ event }) => ({
              oldContainerId: event.oldContainerId,
              oldImageId: event.oldImageId,
              oldImageRef: event.oldImageRef,
              oldVersion: event.oldVersion,
              imageSizeBytes: event.imageSizeBytes,
            })),
            { type: 'enter', params: { state: 'pulling' } },
          ],
        },
        PREPARE_FAILED: { target: 'failed', actions: 'fail' },
        TIMEOUT: { target: 'failed', actions: 'timedOut' },
        ...STOP_ON_CANCEL,
      },
    },
    pulling: {
      on: {
        PULLED: {
          target: 'pulled',
          actions: [
            assign(({ event }) => ({ newImageId: event.imageId })),
            { type: 'enter', params: { state: 'pulled' } },
          ],
        },
        PULL_FAILED: [
          {
            guard: 'pullMayRetry',
            target: 'pulling',
            reenter: true,
            actions: { type: 'retry', params: { state: 'pulling' } },
          },
          { target: 'failed', actions: 'fail' },
        ],
        TIMEOUT: { target: 'failed', actions: 'timedOut' },
        ...STOP_ON_CANCEL,
      },
    },
    pulled: {
      on: {
        PROCEED: {
          target: 'stopping_old',
          actions: [
            assign(({ context, event }) => ({ newImageId: event.imageId ?? context.newImageId })),
            { type: 'enter', params: { state: 'stopping_old' } },
          ],
        },
        // The image vanished (pruned by hand?) and could not be pulled again: try again here,
        // never back in `pulling`, so the reported phases never go backwards.
        PULL_FAILED: [
          {
            guard: 'pullMayRetry',
            target: 'pulled',
            reenter: true,
            actions: { type: 'retry', params: { state: 'pulled' } },
          },
          { target: 'failed', actions: 'fail' },
        ],
        TIMEOUT: { target: 'failed', actions: 'timedOut' },
        ...STOP_ON_CANCEL,
      },
    },
    stopping_old: {
      on: {
        OLD_STOPPED: {
          target: 'starting_new',
          actions: [
            assign(({ event }) => ({ newContainerId: event.newContainerId })),
            { type: 'enter', params: { state: 'starting_new' } },
          ],
        },
        ...ROLL_BACK_ON_FAILURE,
      },
    },
    starting_new: {
      on: {
        NEW_STARTED: {
          target: 'verifying',
          actions: { type: 'enter', params: { state: 'verifying' } },
        },
        ...ROLL_BACK_ON_FAILURE,
      },
    },
    verifying: {
      on: {
        VERIFIED: {
          target: 'probation',
          actions: [
            assign(({ context, event }) => ({
              newRestartBaseline: event.restartCount,
              probationUntil: plus(event.at, context.probationMs ?? 0),
            })),
            'enterProbation',
          ],
        },
        ...ROLL_BACK_ON_FAILURE,
      },
    },
    // The new version runs, the old container waits stopped: a crash, a restart or an unhealthy
    // verdict now still rolls back. Its deadline is the end of the probation plus its margin.
    probation: {
      on: {
        PROBATION_PASSED: {
          target: 'committed',
          actions: { type: 'enter', params: { state: 'committed' } },
        },
        ...ROLL_BACK_ON_FAILURE,
      },
    },
    committed: {
      on: {
        CLEANED_UP: { actions: assign({ cleanupDone: true }) },
        // Cleanup is best effort: the update stands whatever happens to it.
        TIMEOUT: { actions: assign({ cleanupDone: true }) },
      },
    },
    rolling_back: {
      on: {
        ROLLED_BACK: { target: 'rolled_back' },
        STEP_FAILED: RETRY_ROLLBACK,
        TIMEOUT: RETRY_ROLLBACK,
      },
    },
    rolled_back: {},
    failed: {},
    cancelled: {},
  },
});

export type UpdateMachine = typeof updateMachine;

/**
 * The two lists above name every state of the chart, no more, no less: a state added to the
 * chart but to neither list fails to compile here, and one added to ACTIVE_STATES fails to
 * compile until it has an effect (effects/state-effects.ts) and a deadline.
 */
type SameUnion<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const EVERY_STATE_LISTED: SameUnion<StateValueFrom<UpdateMachine>, ActiveState | FinalState> = true;
void EVERY_STATE_LISTED;

export const isActiveState = (state: string): state is ActiveState =>
  (ACTIVE_STATES as readonly string[]).includes(state);

/** A job needs no more work: final phase reached and, after a commit, the cleanup done. */
export function isFinished(state: string, context: UpdateJobContext): boolean {
  if (state === 'committed') return context.cleanupDone;
  return state === 'rolled_back' || state === 'failed' || state === 'cancelled';
}
