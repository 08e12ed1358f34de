import { z } from 'zod';
import { idSchema, uuidSchema } from '../ids';
import { isoTimestamp } from '../envelope';
import { decodeWith, validateWith, type Validated } from '../validation';

export const REPORT_ACK_SCHEMA = 'opcfleet.report-ack/v1';

/**
 * The service's word that it holds a status report (`.../acks`, QoS 0): written to the job's
 * stream, or known there already, or refused for good (an unknown job, a topic that is not the
 * job's). A broker's PUBACK says only that the broker took the report; a broker can drop it
 * afterwards. A device keeps each report of a job whose command asked for acks
 * (`reportAcks: 'v1'`) until this arrives, and sends it again otherwise.
 */
export const reportAckSchema = z.object({
  schema: z.literal(REPORT_ACK_SCHEMA),
  tenantId: idSchema,
  clientId: idSchema,
  jobId: uuidSchema,
  seq: z.number().int().min(1).max(1_000_000),
  outcome: z.enum(['stored', 'duplicate', 'refused']),
  at: isoTimestamp,
});

export type ReportAck = z.infer<typeof reportAckSchema>;

export const validateReportAck = (input: unknown): Validated<ReportAck> =>
  validateWith(reportAckSchema, input);
export const decodeReportAck = (raw: Uint8Array | string): Validated<ReportAck> =>
  decodeWith(reportAckSchema, raw);

/**
 * In a command: the service acknowledges each report of this job on the client's `acks` topic
 * once it holds it. Absent (an older service): the broker's PUBACK is all a device gets.
 */
export const reportAcksSchema = z.literal('v1').optional();
