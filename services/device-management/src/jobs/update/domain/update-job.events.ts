import type { StatusError, UpdatePhase } from '@opcfleet/contracts';
import type { DomainEvent, IsoTimestamp } from '../../../shared/domain/domain-event';

/**
 * The events of stream `update-job/{tenantId}/{jobId}`. Their names and fields are stored for good:
 * add optional fields, never rename or remove one.
 */
export type UpdateRequested = DomainEvent<
  'UpdateRequested',
  {
    jobId: string;
    tenantId: string;
    clientId: string;
    targetVersion: string;
    image: string;
    imageDigest?: string;
    /** Version the client reported when the job was requested: what a rollback returns to. */
    fromVersion?: string;
    requestedAt: IsoTimestamp;
    /** After this the device must not start the command any more. */
    expiresAt?: IsoTimestamp;
  }
>;

/** The dispatcher published the command (QoS 1) on `topic`. Recorded once per publish. */
export type UpdateCommandDispatched = DomainEvent<
  'UpdateCommandDispatched',
  { jobId: string; messageId: string; topic: string; dispatchedAt: IsoTimestamp }
>;

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

export type UpdateReceived = DomainEvent<'UpdateReceived', ReportFacts>;

export type UpdatePhaseReported = DomainEvent<
  'UpdatePhaseReported',
  ReportFacts & {
    phase: UpdatePhase;
    progress?: { bytes: number; totalBytes?: number; percent?: number };
  }
>;

export type UpdateSucceeded = DomainEvent<'UpdateSucceeded', ReportFacts>;

export type UpdateFailed = DomainEvent<
  'UpdateFailed',
  Omit<ReportFacts, 'seq'> & {
    seq?: number;
    reason: string;
    code: string;
    phase?: UpdatePhase;
  }
>;

export type UpdateRolledBack = DomainEvent<'UpdateRolledBack', ReportFacts & { reason: string }>;

/** No final report within the configured time. */
export type UpdateTimedOut = DomainEvent<
  'UpdateTimedOut',
  { jobId: string; at: IsoTimestamp; lastPhase?: UpdatePhase }
>;

export type UpdateCancelled = DomainEvent<
  'UpdateCancelled',
  { jobId: string; at: IsoTimestamp; reason?: string }
>;

/**
 * A report that arrived after the job ended, or that does not fit it: kept for auditors,
 * never applied. Shared by update and config jobs.
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
 * report is applied, not ignored. Shared by update and config jobs.
 */
export type CancelAcknowledged = DomainEvent<
  'CancelAcknowledged',
  { jobId: string; seq: number; phase: string; at: IsoTimestamp; version?: string }
>;

export type UpdateJobEvent =
  | UpdateRequested
  | UpdateCommandDispatched
  | UpdateReceived
  | UpdatePhaseReported
  | UpdateSucceeded
  | UpdateFailed
  | UpdateRolledBack
  | UpdateTimedOut
  | UpdateCancelled
  | CancelAcknowledged
  | StatusReportIgnored;

export const UPDATE_JOB_EVENT_TYPES: readonly UpdateJobEvent['type'][] = [
  'UpdateRequested',
  'UpdateCommandDispatched',
  'UpdateReceived',
  'UpdatePhaseReported',
  'UpdateSucceeded',
  'UpdateFailed',
  'UpdateRolledBack',
  'UpdateTimedOut',
  'UpdateCancelled',
  'CancelAcknowledged',
  'StatusReportIgnored',
];
