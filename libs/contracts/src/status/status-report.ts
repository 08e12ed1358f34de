import { z } from 'zod';
import { versionSchema } from '../commands/update-command';
import { envelopeFields, isoTimestamp } from '../envelope';
import { uuidSchema } from '../ids';
import { decodeWith, validateWith, type FieldError, type Validated } from '../validation';
import { failureEvidenceSchema } from './failure-evidence';

export const STATUS_REPORT_SCHEMA = 'opcfleet.status/v1';

/** The phases a successful update reports, in order. */
export const SUCCESSFUL_UPDATE_PHASES = [
  'received',
  'pulling',
  'pulled',
  'stopping_old',
  'starting_new',
  'verifying',
  'committed',
] as const;

/** The phases of the update machine on the device, in the order a successful update passes them. */
export const UPDATE_PHASES = [
  ...SUCCESSFUL_UPDATE_PHASES,
  'rolling_back',
  'rolled_back',
  'failed',
  'rejected',
  /** Stopped before the swap because the service cancelled the job: nothing was changed. */
  'cancelled',
] as const;
export type UpdatePhase = (typeof UPDATE_PHASES)[number];

/** Final update phases: after one of these the device sends nothing more for the job. */
export const FINAL_UPDATE_PHASES: readonly UpdatePhase[] = [
  'committed',
  'rolled_back',
  'failed',
  'rejected',
  'cancelled',
];

export const CONFIG_PHASES = ['received', 'applied', 'rejected'] as const;
export type ConfigPhase = (typeof CONFIG_PHASES)[number];
export const FINAL_CONFIG_PHASES: readonly ConfigPhase[] = ['applied', 'rejected'];

const errorSchema = z.object({
  code: z.string().min(1).max(64),
  message: z.string().max(4096),
  fieldErrors: z
    .array(z.object({ path: z.string().max(512), message: z.string().max(1024) }))
    .max(200)
    .optional(),
});

const progressSchema = z.object({
  bytes: z.number().int().min(0),
  totalBytes: z.number().int().min(0).optional(),
  percent: z.number().min(0).max(100).optional(),
});

const reportBase = {
  schema: z.literal(STATUS_REPORT_SCHEMA),
  ...envelopeFields,
  jobId: uuidSchema,
  /** Per-job sequence number from 1, so duplicates and gaps are visible. */
  seq: z.number().int().min(1).max(1_000_000),
  at: isoTimestamp,
  /** The workload version running when the report was made. */
  version: versionSchema.optional(),
  error: errorSchema.optional(),
};

export const updateStatusReportSchema = z.object({
  ...reportBase,
  jobKind: z.literal('update'),
  phase: z.enum(UPDATE_PHASES),
  progress: progressSchema.optional(),
  /**
   * With `rolled_back` and `failed`: the new container's last log lines and the agent's own
   * for the job (failure-evidence.ts). decodeStatusReport drops evidence over its bounds and
   * keeps the report.
   */
  evidence: failureEvidenceSchema.optional(),
});

export const configStatusReportSchema = z.object({
  ...reportBase,
  jobKind: z.literal('config'),
  phase: z.enum(CONFIG_PHASES),
  configVersion: z.number().int().min(1),
});

export const statusReportSchema = z.discriminatedUnion('jobKind', [
  updateStatusReportSchema,
  configStatusReportSchema,
]);

export type UpdateStatusReport = z.infer<typeof updateStatusReportSchema>;
export type ConfigStatusReport = z.infer<typeof configStatusReportSchema>;
export type StatusReport = z.infer<typeof statusReportSchema>;
export type StatusError = z.infer<typeof errorSchema>;

export const validateStatusReport = (input: unknown): Validated<StatusReport> =>
  validateWith(statusReportSchema, input);

/** A decoded report, and why its evidence was dropped when it broke the contract. */
export type DecodedStatusReport = Validated<StatusReport> & { evidenceErrors?: FieldError[] };

const anyJson = z.unknown();

/**
 * Decodes a report. Evidence that breaks its contract (over its bounds, malformed) does not
 * cost the report: it is left out and its problems are returned in `evidenceErrors`, so the
 * phase still counts and the receiver can log what it dropped.
 */
export function decodeStatusReport(raw: Uint8Array | string): DecodedStatusReport {
  const parsed = decodeWith(anyJson, raw);
  if (!parsed.ok) return parsed;
  const input = parsed.value;
  if (!input || typeof input !== 'object' || !('evidence' in input)) {
    return validateWith(statusReportSchema, input);
  }
  const { evidence, ...rest } = input as Record<string, unknown>;
  const checked = validateWith(failureEvidenceSchema, evidence);
  if (checked.ok) return validateWith(statusReportSchema, input);
  const report = validateWith(statusReportSchema, rest);
  return report.ok
    ? {
        ...report,
        evidenceErrors: checked.errors.map((e) => ({ ...e, path: `evidence.${e.path}` })),
      }
    : report;
}
