import type { FieldError } from '@opcfleet/contracts';
import type { DomainEvent, IsoTimestamp } from '../../../shared/domain/domain-event';
import type {
  CancelAcknowledged,
  CommandDispatchedData,
  JobCancelledData,
  ReportFacts,
  StatusReportIgnored,
} from '../../domain/job-lifecycle.events';

/**
 * The events of stream `config-job/{tenantId}/{jobId}`. Their names and fields are stored for good:
 * add optional fields, never rename or remove one.
 */
export type ConfigChangeRequested = DomainEvent<
  'ConfigChangeRequested',
  {
    jobId: string;
    tenantId: string;
    clientId: string;
    /** Strictly greater than every version requested before for this client. */
    version: number;
    /** Already validated with validateOpcClientConfig. */
    settings: Record<string, unknown>;
    requestedAt: IsoTimestamp;
    expiresAt?: IsoTimestamp;
  }
>;

export type ConfigCommandDispatched = DomainEvent<'ConfigCommandDispatched', CommandDispatchedData>;

export type ConfigReceived = DomainEvent<'ConfigReceived', ReportFacts>;

export type ConfigApplied = DomainEvent<'ConfigApplied', ReportFacts & { configVersion: number }>;

export type ConfigRejected = DomainEvent<
  'ConfigRejected',
  Omit<ReportFacts, 'seq'> & {
    seq?: number;
    reason: string;
    code?: string;
    fieldErrors?: FieldError[];
  }
>;

export type ConfigTimedOut = DomainEvent<'ConfigTimedOut', { jobId: string; at: IsoTimestamp }>;

export type ConfigCancelled = DomainEvent<'ConfigCancelled', JobCancelledData>;

export type ConfigJobEvent =
  | ConfigChangeRequested
  | ConfigCommandDispatched
  | ConfigReceived
  | ConfigApplied
  | ConfigRejected
  | ConfigTimedOut
  | ConfigCancelled
  | CancelAcknowledged
  | StatusReportIgnored;

export const CONFIG_JOB_EVENT_TYPES: readonly ConfigJobEvent['type'][] = [
  'ConfigChangeRequested',
  'ConfigCommandDispatched',
  'ConfigReceived',
  'ConfigApplied',
  'ConfigRejected',
  'ConfigTimedOut',
  'ConfigCancelled',
  'CancelAcknowledged',
  'StatusReportIgnored',
];
