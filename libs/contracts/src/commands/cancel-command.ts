import { z } from 'zod';
import { envelopeFields, isoTimestamp } from '../envelope';
import { uuidSchema } from '../ids';
import { decodeWith, validateWith, type Validated } from '../validation';

export const CANCEL_COMMAND_SCHEMA = 'opcfleet.command.cancel/v1';

/**
 * Asks the device to stop job `jobId`, which the service has already marked Cancelled. The
 * device stops it only before anything changed on its side (an update before the swap) and
 * says so with a `cancelled` report; past that point it carries on and its reports tell the
 * truth. `jobKind` lets a device that has not seen the job yet remember it with its kind.
 */
export const cancelPayloadSchema = z.object({
  jobKind: z.enum(['update', 'config']),
  reason: z.string().max(500).optional(),
});

export const cancelCommandSchema = z.object({
  schema: z.literal(CANCEL_COMMAND_SCHEMA),
  ...envelopeFields,
  jobId: uuidSchema,
  issuedAt: isoTimestamp,
  expiresAt: isoTimestamp.optional(),
  payload: cancelPayloadSchema,
});

export type CancelPayload = z.infer<typeof cancelPayloadSchema>;
export type CancelCommand = z.infer<typeof cancelCommandSchema>;

export const validateCancelCommand = (input: unknown): Validated<CancelCommand> =>
  validateWith(cancelCommandSchema, input);
export const decodeCancelCommand = (raw: Uint8Array | string): Validated<CancelCommand> =>
  decodeWith(cancelCommandSchema, raw);
