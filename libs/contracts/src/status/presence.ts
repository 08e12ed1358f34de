import { z } from 'zod';
import { idSchema } from '../ids';
import { isoTimestamp } from '../envelope';
import { decodeWith, type Validated } from '../validation';
import { clockSkewSecondsSchema, workloadProblemSchema } from './device-condition';

export const PRESENCE_SCHEMA = 'opcfleet.presence/v1';

/** Retained on `.../presence`; the agent sets `offline` as its last will. */
export const presenceSchema = z.object({
  schema: z.literal(PRESENCE_SCHEMA),
  tenantId: idSchema,
  clientId: idSchema,
  status: z.enum(['online', 'offline']),
  at: isoTimestamp,
  agentVersion: z.string().max(64).optional(),
  /** Whether the workload container runs, and why not (absent in a last will and from older agents). */
  workload: z
    .object({ running: z.boolean(), problem: workloadProblemSchema.optional() })
    .optional(),
  clockSkewSeconds: clockSkewSecondsSchema.optional(),
  /**
   * Only in the `online` published on connecting: whether the broker kept the device's session
   * (CONNACK sessionPresent). False: commands queued for it while it was away are gone, and the
   * service sends its open jobs' commands again at once. Absent from later presence updates of
   * the same connection and from older agents.
   */
  sessionResumed: z.boolean().optional(),
});

export type Presence = z.infer<typeof presenceSchema>;
export const decodePresence = (raw: Uint8Array | string): Validated<Presence> =>
  decodeWith(presenceSchema, raw);
