import {
  acksTopic,
  REPORT_ACK_SCHEMA,
  type ParsedTopic,
  type ReportAck,
  type StatusReport,
} from '@opcfleet/contracts';
import type { OutgoingMessage } from '../../messaging/message-bus';
import type { IngestStatusReportResult } from './ingest-status-report.command';

const ACK_OUTCOMES: Record<IngestStatusReportResult['outcome'], ReportAck['outcome']> = {
  applied: 'stored',
  // Recorded as StatusReportIgnored: held, so the device must not send it again either.
  ignored: 'stored',
  duplicate: 'duplicate',
  rejected: 'refused',
};

/**
 * The ack of a report the service now holds (or refuses for good), for the topic's client.
 * QoS 0: a lost ack costs one resend of the report, which is deduplicated by (jobId, seq).
 */
export function reportAckMessage(
  report: StatusReport,
  topic: Pick<ParsedTopic, 'tenantId' | 'clientId'>,
  result: IngestStatusReportResult,
  at: Date,
): OutgoingMessage {
  const address = { tenantId: topic.tenantId, clientId: topic.clientId };
  const ack: ReportAck = {
    schema: REPORT_ACK_SCHEMA,
    ...address,
    jobId: report.jobId,
    seq: report.seq,
    outcome: ACK_OUTCOMES[result.outcome],
    at: at.toISOString(),
  };
  return {
    topic: acksTopic(address),
    payload: JSON.stringify(ack),
    qos: 0,
    correlationId: report.correlationId,
  };
}
