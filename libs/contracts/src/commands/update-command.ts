import { z } from 'zod';
import { envelopeFields, isoTimestamp } from '../envelope';
import { uuidSchema } from '../ids';
import { reportAcksSchema } from '../status/report-ack';
import { decodeWith, validateWith, type Validated } from '../validation';

export const UPDATE_COMMAND_SCHEMA = 'opcfleet.command.update/v1';

/** An OCI image reference: [registry[:port]/]repository[:tag][@digest]. */
export const imageReferenceSchema = z
  .string()
  .max(512)
  .regex(
    /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-]+[a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$/,
    'must be an image reference such as registry.example.com/opc-core:2.1.0',
  );

export const imageDigestSchema = z
  .string()
  .regex(/^sha256:[a-f0-9]{64}$/, 'must be sha256:<64 hex digits>');

export const versionSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._+-]*$/, 'must be a version such as 2.1.0');

export const updatePayloadSchema = z.object({
  targetVersion: versionSchema,
  image: imageReferenceSchema,
  imageDigest: imageDigestSchema.optional(),
});

export const updateCommandSchema = z.object({
  schema: z.literal(UPDATE_COMMAND_SCHEMA),
  ...envelopeFields,
  jobId: uuidSchema,
  issuedAt: isoTimestamp,
  expiresAt: isoTimestamp.optional(),
  reportAcks: reportAcksSchema,
  payload: updatePayloadSchema,
});

export type UpdatePayload = z.infer<typeof updatePayloadSchema>;
export type UpdateCommand = z.infer<typeof updateCommandSchema>;

export const validateUpdateCommand = (input: unknown): Validated<UpdateCommand> =>
  validateWith(updateCommandSchema, input);
export const decodeUpdateCommand = (raw: Uint8Array | string): Validated<UpdateCommand> =>
  decodeWith(updateCommandSchema, raw);
