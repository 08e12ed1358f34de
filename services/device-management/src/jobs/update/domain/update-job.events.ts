import type { UpdatePhase } from '@opcfleet/contracts';
import type { DomainEvent, IsoTimestamp } from '../../../shared/domain/domain-event';
import type {
  CancelAcknowledged,
  CommandDispatchedData,
  JobCancelledData,
  ReportFacts,
  StatusReportIgnored,
} from '../../domain/job-lifecycle.events';

/**
 * The events of stream `update-job/{tenantId}/{jobId}`. Their names and fields are stored for good:
 * add optional fields, never rename or remove one.
 */
/**
 * What the device sent with a failed or rolled-back update (libs/contracts failure-evidence.ts):
 * the failed container's last log lines and the agent's lines for the job, redacted on the
 * device and within the contract's bounds.
 */
export interface FailureEvidenceData {
  workloadLog: string[];
  agentLog: string[];
  truncated: boolean;
  workloadLogError?: string;
}

export type UpdateRequested = DomainEvent<
  'UpdateRequested',
  {
    jobId: string;
    tenantId: string;
    clientId: string;
    targetVersion: string;
    image: string;
    imageDigest?: string;
    /**
     * Requested by release (image, digest and version are the release's); absent when an
     * administrator gave the image and version themselves.
     */
    releaseId?: string;
    /** By release, installed over a higher version the client reported (allowDowngrade). */
    downgradeAllowed?: boolean;
    /** Version the client reported when the job was requested: what a rollback returns to. */
    fromVersion?: string;
    /** The image the client ran then, when an earlier update recorded it: a roll-back's target. */
    fromImage?: string;
    requestedAt: IsoTimestamp;
    /** After this the device must not start the command any more. */
    expiresAt?: IsoTimestamp;
  }
>;

export type UpdateCommandDispatched = DomainEvent<'UpdateCommandDispatched', CommandDispatchedData>;

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
    /** Added after the first release: absent from older events and from reports without it. */
    evidence?: FailureEvidenceData;
  }
>;

export type UpdateRolledBack = DomainEvent<
  'UpdateRolledBack',
  ReportFacts & {
    reason: string;
    /** Added after the first release: absent from older events and from reports without it. */
    evidence?: FailureEvidenceData;
  }
>;

/** No final report within the configured time. */
export type UpdateTimedOut = DomainEvent<
  'UpdateTimedOut',
  { jobId: string; at: IsoTimestamp; lastPhase?: UpdatePhase }
>;

export type UpdateCancelled = DomainEvent<'UpdateCancelled', JobCancelledData>;

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
