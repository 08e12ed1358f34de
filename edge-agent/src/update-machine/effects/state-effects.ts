import type { ActiveState, StepError, UpdateJobEvent } from '../update-machine';
import type { Effect } from './effect';
import { cleanUp } from './committing';
import { prepare } from './preparing';
import { watchProbation } from './probation';
import { confirmPulled, pull } from './pulling';
import { rollBack } from './rolling-back';
import { startNew, stopOld } from './swapping';
import { verify } from './verifying';

/** A state's work, and the event its unexpected failure (a bug, an engine fault) becomes. */
export interface StateWork {
  effect: Effect;
  onThrow: (error: StepError, at: string) => UpdateJobEvent;
}

const prepareFailed = (error: StepError, at: string): UpdateJobEvent => ({
  type: 'PREPARE_FAILED',
  at,
  error,
});
/** Before anything stopped, an unexplained failure is worth another pull. */
const pullFailed = (error: StepError, at: string): UpdateJobEvent => ({
  type: 'PULL_FAILED',
  at,
  error,
  retryable: true,
});
const stepFailed = (error: StepError, at: string): UpdateJobEvent => ({
  type: 'STEP_FAILED',
  at,
  error,
});

/**
 * The work of every state that has some, keyed by the chart's own state names: a state added
 * to ACTIVE_STATES without its work here does not compile.
 */
export const STATE_WORK: Record<ActiveState, StateWork> = {
  received: { effect: prepare, onThrow: prepareFailed },
  pulling: { effect: pull, onThrow: pullFailed },
  pulled: { effect: confirmPulled, onThrow: pullFailed },
  stopping_old: { effect: stopOld, onThrow: stepFailed },
  starting_new: { effect: startNew, onThrow: stepFailed },
  verifying: { effect: verify, onThrow: stepFailed },
  probation: { effect: watchProbation, onThrow: stepFailed },
  committed: { effect: cleanUp, onThrow: stepFailed },
  rolling_back: { effect: rollBack, onThrow: stepFailed },
};
