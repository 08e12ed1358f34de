import { backoffDelay } from '../shared/retry';

/** How a failed delivery is tried again (ALERT_DELIVERY_* settings). */
export interface DeliverySchedule {
  /** Attempts in all, the first included; then the delivery is `failed`. */
  maxAttempts: number;
  /** Wait after the first failed attempt; it doubles after each. */
  initialDelayMs: number;
  /** Cap of the wait. */
  maxDelayMs: number;
}

/**
 * The defaults: 8 attempts, waits of about 30 s, 1, 2, 4, 8, 16 and 30 min (the project's
 * capped exponential back-off, with its jitter of +-20 %): about 1 h from the first attempt to
 * the last.
 */
export const DEFAULT_DELIVERY_SCHEDULE: DeliverySchedule = {
  maxAttempts: 8,
  initialDelayMs: 30_000,
  maxDelayMs: 30 * 60_000,
};

/**
 * When to try again after `attempts` attempts failed (1 after the first); undefined when none
 * is left.
 */
export function nextAttemptDelay(attempts: number, schedule: DeliverySchedule): number | undefined {
  if (attempts >= schedule.maxAttempts) return undefined;
  return backoffDelay(attempts - 1, schedule.maxDelayMs, schedule.initialDelayMs);
}
