import { z } from 'zod';
import { isoTimestamp } from '../envelope';

/** Why the workload container is not serving, as the agent last saw it. */
export const workloadProblemSchema = z.object({
  code: z.enum(['missing', 'exited', 'restarting', 'unhealthy']),
  message: z.string().max(1024),
  /** When the agent first saw the problem. */
  since: isoTimestamp,
});
export type WorkloadProblem = z.infer<typeof workloadProblemSchema>;

/**
 * The device's clock minus the service's, in whole seconds, as the agent measured it from the
 * commands it received (absent until it has). Optional in presence and state: agents that
 * predate it send none, and services that predate it ignore it.
 */
export const clockSkewSecondsSchema = z
  .number()
  .int()
  .min(-100 * 365 * 24 * 3600)
  .max(100 * 365 * 24 * 3600);
