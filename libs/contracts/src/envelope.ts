import { z } from 'zod';
import { idSchema, uuidSchema } from './ids';

/**
 * Every message carries its meaning in a JSON envelope, so it reads the same over MQTT 3.1.1
 * and MQTT 5. `schema` names the message kind and its version: `opcfleet.command.update/v1`.
 */
export const envelopeFields = {
  messageId: uuidSchema,
  tenantId: idSchema,
  clientId: idSchema,
  correlationId: z.string().min(1).max(128),
};

export const isoTimestamp = z.iso.datetime({ offset: true });
