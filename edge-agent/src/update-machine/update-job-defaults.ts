import type { RetryPolicy, StateDeadlines } from './update-machine';

/** How long each state may take; a device overrides them through the runner's settings. */
export const DEFAULT_DEADLINES: StateDeadlines = {
  received: 60_000,
  pulling: 15 * 60_000,
  pulled: 30_000,
  stopping_old: 120_000,
  starting_new: 60_000,
  verifying: 300_000,
  /** After the probation period itself. */
  probation: 60_000,
  rolling_back: 120_000,
  committed: 120_000,
};

export const DEFAULT_RETRY: RetryPolicy = {
  maxPullAttempts: 3,
  maxRollbackAttempts: 10,
  backoffBaseMs: 1000,
  backoffCapMs: 30_000,
};
