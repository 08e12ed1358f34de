import { z } from 'zod';
import { envelopeFields, isoTimestamp } from '../envelope';
import { uuidSchema } from '../ids';
import { reportAcksSchema } from '../status/report-ack';
import { decodeWith, validateWith, type Validated } from '../validation';

export const CONFIG_COMMAND_SCHEMA = 'opcfleet.command.config/v1';

/**
 * The settings travel unvalidated in the envelope: the agent validates them with the config
 * schema itself, so that a config it cannot apply is reported as rejected with its field
 * errors rather than dropped as a malformed message.
 */
export const configPayloadSchema = z.object({
  version: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  settings: z.record(z.string(), z.unknown()),
});

export const configCommandSchema = z.object({
  schema: z.literal(CONFIG_COMMAND_SCHEMA),
  ...envelopeFields,
  jobId: uuidSchema,
  issuedAt: isoTimestamp,
  expiresAt: isoTimestamp.optional(),
  reportAcks: reportAcksSchema,
  payload: configPayloadSchema,
});

export type ConfigPayload = z.infer<typeof configPayloadSchema>;
export type ConfigCommand = z.infer<typeof configCommandSchema>;

export const validateConfigCommand = (input: unknown): Validated<ConfigCommand> =>
  validateWith(configCommandSchema, input);
export const decodeConfigCommand = (raw: Uint8Array | string): Validated<ConfigCommand> =>
  decodeWith(configCommandSchema, raw);
