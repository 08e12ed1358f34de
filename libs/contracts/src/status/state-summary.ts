import { z } from 'zod';
import { idSchema, uuidSchema } from '../ids';
import { isoTimestamp } from '../envelope';
import { decodeWith, type Validated } from '../validation';
import { clockSkewSecondsSchema, workloadProblemSchema } from './device-condition';

export const STATE_SUMMARY_SCHEMA = 'opcfleet.state/v1';

/** Retained on `.../state`: what the agent runs now and where its current job stands. */
export const stateSummarySchema = z.object({
  schema: z.literal(STATE_SUMMARY_SCHEMA),
  tenantId: idSchema,
  clientId: idSchema,
  at: isoTimestamp,
  agentVersion: z.string().max(64),
  workload: z.object({
    version: z.string().max(64).optional(),
    image: z.string().max(512).optional(),
    running: z.boolean(),
    /** Set when the workload's watch sees it down outside an update. */
    problem: workloadProblemSchema.optional(),
  }),
  configVersion: z.number().int().min(0).optional(),
  currentJob: z
    .object({
      jobId: uuidSchema,
      kind: z.enum(['update', 'config']),
      state: z.string().max(64),
      since: isoTimestamp,
    })
    .nullable(),
  clockSkewSeconds: clockSkewSecondsSchema.optional(),
  /** Free bytes where the engine keeps images (absent when the agent cannot see it). */
  freeDiskBytes: z.number().int().min(0).optional(),
  /** The latest update job's last state changes, oldest first. */
  lastTransitions: z
    .array(z.object({ state: z.string().max(64), at: isoTimestamp }))
    .max(10)
    .optional(),
  /** The last error a job of this device reported. */
  lastError: z
    .object({
      jobId: uuidSchema,
      code: z.string().max(64),
      message: z.string().max(1024),
      at: isoTimestamp,
    })
    .optional(),
});

export type StateSummary = z.infer<typeof stateSummarySchema>;
export const decodeStateSummary = (raw: Uint8Array | string): Validated<StateSummary> =>
  decodeWith(stateSummarySchema, raw);
