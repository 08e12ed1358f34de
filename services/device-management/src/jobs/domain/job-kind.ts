import type { ConfigCommand, UpdateCommand, Validated } from '@opcfleet/contracts';
import type { Permission } from '../../auth/principal';
import type { ClientCommand } from '../../clients/domain/client.decider';
import type { DomainEvent, IsoTimestamp, JobKind } from '../../shared/domain/domain-event';
import type { JobStreamCategory } from '../../shared/domain/stream-names';
import type { JobLifecycleCommand, JobLifecycleRules, JobTrack } from './job-lifecycle';

/** What every job request carries, whatever its kind. */
export interface JobRequestFacts {
  jobId: string;
  tenantId: string;
  clientId: string;
  requestedAt: IsoTimestamp;
  /** After this the device must not start the command any more. */
  expiresAt?: IsoTimestamp;
}

/** A job's state as the lifecycle keeps it, with the request that opened it. */
export type JobState = JobTrack & {
  request: JobRequestFacts;
  failure?: { reason: string; code?: string; fieldErrors?: { path: string; message: string }[] };
};

/** The client command that records the end of a job on its client's stream. */
export type JobEndCommand = Extract<ClientCommand, { type: 'EndUpdate' | 'EndConfig' }>;

/** The envelope fields of a job's command that do not depend on its kind. */
export interface CommandEnvelopeFacts {
  messageId: string;
  jobId: string;
  tenantId: string;
  clientId: string;
  correlationId: string;
  issuedAt: IsoTimestamp;
  expiresAt: IsoTimestamp;
  /** The trace context of the request (its events' metadata), when it had one. */
  traceparent?: string;
}

/** What a job shows besides what every job shows (read models, API). */
export interface JobDetails {
  targetVersion?: string;
  image?: string;
  imageDigest?: string;
  /** The release an update installs, when it was requested by release. */
  releaseId?: string;
  fromVersion?: string;
  fromImage?: string;
  configVersion?: number;
  reportedVersion?: string;
  rollback?: { reason: string };
  progress?: { bytes: number; totalBytes?: number; percent?: number };
  /** Sent by the device with a failed or rolled-back update: its log lines and the agent's. */
  evidence?: {
    workloadLog: string[];
    agentLog: string[];
    truncated: boolean;
    workloadLogError?: string;
  };
}

/**
 * One kind of job, as data: the registry (jobs/job-kinds.ts) holds one of these per kind, and
 * every place that needs to know which decider owns a job looks its kind up there.
 */
export interface JobKindDefinition<
  Kind extends JobKind,
  State extends JobState,
  Event extends DomainEvent,
> {
  kind: Kind;
  /** The category of its streams; shared/domain/stream-names.ts builds and parses the names. */
  category: JobStreamCategory;
  /** Event names, final statuses, report mapping and cancel rule of the shared lifecycle. */
  rules: JobLifecycleRules<Kind, State, Event>;
  decide(command: JobLifecycleCommand, state: State | null): Event[];
  evolve(state: State | null, event: Event): State | null;
  initialState: State | null;
  fold(events: readonly Event[]): State | null;
  /** The events of a device report that end the job, and those that only show progress. */
  reportEvents: { ending: readonly Event['type'][]; progress: readonly Event['type'][] };
  /** Who may act on a job of this kind (cancel it). */
  permission: Permission;
  /** The client command that records the end of this job, once it is final. */
  endCommand(job: State, at: IsoTimestamp): JobEndCommand;
  /** The command the device gets for this request, validated with libs/contracts. */
  deviceCommand(
    request: State['request'],
    envelope: CommandEnvelopeFacts,
  ): Validated<UpdateCommand | ConfigCommand>;
  /** What a job of this kind shows besides what every job shows. */
  details(job: State): JobDetails;
}
