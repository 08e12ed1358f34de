import type { IsoTimestamp } from '../../shared/domain/domain-event';
import type { RolloutJobOutcome } from './rollout.events';

/** How often a client's job is tried again after a passing failure, and how long between. */
export interface RolloutRetries {
  /** Jobs tried again at most this many times per client (0: never). */
  max: number;
  /** Wait before the first retry; each next one waits twice as long. */
  backoffSeconds: number;
}

/**
 * Failures that may pass by themselves: the registry could not be reached, or the device did
 * not answer in time. A job refused by the device (bad image, failed health check) is not.
 */
const PASSING_FAILURE_CODES = new Set(['registry_unreachable']);

export const isPassingFailure = (outcome: RolloutJobOutcome, code: string | undefined) =>
  outcome === 'timed_out' || (outcome === 'failed' && PASSING_FAILURE_CODES.has(code ?? ''));

/** When attempt `attempt` (2 = the first retry) of a job that ended at `at` is due. */
export function retryAtOf(
  retries: RolloutRetries,
  attempt: number,
  at: IsoTimestamp,
): IsoTimestamp {
  const waitSeconds = retries.backoffSeconds * 2 ** (attempt - 2);
  return new Date(Date.parse(at) + waitSeconds * 1000).toISOString();
}
