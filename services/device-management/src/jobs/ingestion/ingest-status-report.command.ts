import type { StatusReport } from '@opcfleet/contracts';

/**
 * Sent by the status ingestor for every report that passed validation with libs/contracts.
 * The handler checks the topic's tenant/client against the job's, deduplicates by
 * (jobId, seq), records late reports as ignored, and never throws for a bad report: the
 * outcome says what happened so the ingestor can log it.
 */
export class IngestStatusReport {
  readonly report: StatusReport;
  /** Tenant and client read from the MQTT topic the report arrived on. */
  readonly topicTenantId: string;
  readonly topicClientId: string;
  /** The trace context of the ingestion (its span's), for the metadata of what is appended. */
  readonly traceparent?: string;

  constructor(props: IngestStatusReport) {
    Object.assign(this, props);
  }
}

export type IngestStatusReportResult =
  /** A new fact about the job, appended. */
  | { outcome: 'applied'; eventType: string }
  /** Same (jobId, seq) already ingested: nothing changed. */
  | { outcome: 'duplicate' }
  /** Appended as StatusReportIgnored (job already final, or wrong job kind). */
  | { outcome: 'ignored'; reason: string }
  /** Not appended at all: unknown job, or topic tenant/client not the job's. */
  | { outcome: 'rejected'; reason: 'unknown_job' | 'topic_mismatch' };
