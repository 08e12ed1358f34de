import { z } from 'zod';
import { idSchema, uuidSchema } from './ids';
import { traceparentField } from './trace-context';

/**
 * Every message carries its meaning in a JSON envelope, so it reads the same over MQTT 3.1.1
 * and MQTT 5. `schema` names the message kind and its version: `opcfleet.command.update/v1`.
 */
export const envelopeFields = {
  messageId: uuidSchema,
  tenantId: idSchema,
  clientId: idSchema,
  correlationId: z.string().min(1).max(128),
  /**
   * W3C trace context of the job (trace-context.ts): the service puts it in its commands, the
   * device in its reports. Optional; an invalid one is dropped, not the message.
   */
  traceparent: traceparentField,
};

export const isoTimestamp = z.iso.datetime({ offset: true });
