import type { StatusError } from '@opcfleet/contracts';
import type { DomainEvent, IsoTimestamp } from '../../shared/domain/domain-event';

/**
 * The events and payloads every kind of job shares. Their names and fields are stored for
 * good: add optional fields, never rename or remove one.
 */

/** The dispatcher published the command (QoS 1) on `topic`. Recorded once per publish. */
export interface CommandDispatchedData {
  jobId: string;
  messageId: string;
  topic: string;
  dispatchedAt: IsoTimestamp;
}

export interface JobCancelledData {
  jobId: string;
  at: IsoTimestamp;
  reason?: string;
}

/** Fields common to every event that comes from a device status report. */
export interface ReportFacts {
  jobId: string;
  /** Per-job sequence number of the report (from 1): deduplication key with jobId. */
  seq: number;
  /** When the device made the report. */
  at: IsoTimestamp;
  /** Workload version running when the report was made. */
  version?: string;
}

/**
 * A report that arrived after the job ended, or that does not fit it: kept for auditors,
 * never applied. Shared by every kind of job.
 */
export type StatusReportIgnored = DomainEvent<
  'StatusReportIgnored',
  {
    jobId: string;
    seq: number;
    phase: string;
    at: IsoTimestamp;
    reason: 'job_final' | 'wrong_job_kind';
    error?: StatusError;
  }
>;

/**
 * The device confirmed it stopped a cancelled job (`cancelled`), or refused its command because
 * the cancel came first (`rejected` with code `cancelled`): the job stays Cancelled, and the
 * report is applied, not ignored. Shared by every kind of job.
 */
export type CancelAcknowledged = DomainEvent<
  'CancelAcknowledged',
  { jobId: string; seq: number; phase: string; at: IsoTimestamp; version?: string }
>;

/** The lifecycle events every kind records under names of its own. */
export interface LifecycleEventTypes {
  requested: string;
  dispatched: string;
  timedOut: string;
  cancelled: string;
}
