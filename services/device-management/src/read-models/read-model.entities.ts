import type { StateSummary } from '@opcfleet/contracts';
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { JobDto } from './read-model.dto';
import type { ReleaseDto } from './release.dto';
import type { RolloutClientDto, RolloutClientState, RolloutSummaryDto } from './rollout.dto';

/** Schema of the read models, apart from the event store's own schema. */
export const READ_MODEL_SCHEMA = 'read_models';

/** Shown to people: 'Updating' while an update runs, then its outcome or the presence. */
export type ClientStatus = 'Online' | 'Offline' | 'Updating' | 'UpdateFailed';

/**
 * One row per registered client, projected from its `client/{tenantId}/{clientId}` stream by
 * the row mapper (read-model.rows.ts): what the API shows, never the decider's state.
 */
@Entity({ name: 'clients', schema: READ_MODEL_SCHEMA })
@Index(['tenantId', 'status'])
export class ClientView {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' }) tenantId: string;
  @PrimaryColumn({ name: 'client_id', type: 'text' }) clientId: string;
  @Column({ name: 'stream_name', type: 'text', unique: true }) streamName: string;
  @Column({ type: 'jsonb', default: {} }) labels: Record<string, string>;
  @Column({ type: 'text' }) status: ClientStatus;
  @Column({ type: 'text', nullable: true }) presence: 'online' | 'offline' | null;
  @Column({ name: 'reported_version', type: 'text', nullable: true }) reportedVersion:
    string | null;
  @Column({ name: 'desired_version', type: 'text', nullable: true }) desiredVersion: string | null;
  @Column({ name: 'desired_config_version', type: 'int', default: 0 }) desiredConfigVersion: number;
  @Column({ name: 'applied_config_version', type: 'int', nullable: true })
  appliedConfigVersion: number | null;
  @Column({ name: 'update_job_id', type: 'uuid', nullable: true }) updateJobId: string | null;
  @Column({ name: 'last_update_outcome', type: 'text', nullable: true })
  lastUpdateOutcome: string | null;
  @Column({ name: 'last_seen_at', type: 'timestamptz', nullable: true }) lastSeenAt: Date | null;
  @Column({ name: 'registered_at', type: 'timestamptz' }) registeredAt: Date;
  @Column({ name: 'stream_revision', type: 'int' }) streamRevision: number;
  /** The device credential that connects today (the embedded broker checks it). */
  @Column({ name: 'credential_id', type: 'uuid', nullable: true }) credentialId: string | null;
}

/**
 * One row per job of either kind, projected from its `update-job/` / `config-job/` stream: the
 * columns to filter and sort on, and the document the API returns.
 */
@Entity({ name: 'jobs', schema: READ_MODEL_SCHEMA })
@Index(['tenantId', 'clientId', 'requestedAt'])
@Index(['tenantId', 'requestedAt', 'jobId'])
export class JobView {
  @PrimaryColumn({ name: 'job_id', type: 'uuid' }) jobId: string;
  @Column({ type: 'text' }) kind: 'update' | 'config';
  @Column({ name: 'tenant_id', type: 'text' }) tenantId: string;
  @Column({ name: 'client_id', type: 'text' }) clientId: string;
  @Column({ type: 'text' }) status: string;
  @Column({ type: 'text', nullable: true }) phase: string | null;
  @Column({ name: 'target_version', type: 'text', nullable: true }) targetVersion: string | null;
  @Column({ type: 'text', nullable: true }) image: string | null;
  /** The release an update job installs, when it was requested by release. */
  @Column({ name: 'release_id', type: 'uuid', nullable: true }) releaseId: string | null;
  @Column({ name: 'config_version', type: 'int', nullable: true }) configVersion: number | null;
  @Column({ name: 'reported_version', type: 'text', nullable: true }) reportedVersion:
    string | null;
  @Column({ name: 'failure_reason', type: 'text', nullable: true }) failureReason: string | null;
  @Column({ name: 'failure_code', type: 'text', nullable: true }) failureCode: string | null;
  @Column({ name: 'rollback_reason', type: 'text', nullable: true }) rollbackReason: string | null;
  @Column({ name: 'requested_at', type: 'timestamptz' }) requestedAt: Date;
  @Column({ name: 'dispatched_at', type: 'timestamptz', nullable: true }) dispatchedAt: Date | null;
  @Column({ name: 'started_at', type: 'timestamptz', nullable: true }) startedAt: Date | null;
  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true }) finishedAt: Date | null;
  @Column({ name: 'stream_revision', type: 'int' }) streamRevision: number;
  /** The job as the API shows it (JobDto): the read-model document, not the decider's state. */
  @Column({ type: 'jsonb' }) document: JobDto;
}

/**
 * The hash of a device credential (scrypt, as services/broker's password users), kept apart
 * from the events on purpose: an event is read by auditors and kept forever, a hash need not
 * be. Which credential of a client is live comes from its stream (the `credential` of the
 * clients row); this table only answers "does this password match credential X". It is NOT
 * rebuilt from events, so a read-model rebuild leaves it alone (it drops clients and jobs).
 */
@Entity({ name: 'device_credentials', schema: READ_MODEL_SCHEMA })
export class DeviceCredentialSecret {
  @PrimaryColumn({ name: 'credential_id', type: 'uuid' }) credentialId: string;
  @Column({ name: 'tenant_id', type: 'text' }) tenantId: string;
  @Column({ name: 'client_id', type: 'text' }) clientId: string;
  @Column({ name: 'secret_hash', type: 'text' }) secretHash: string;
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' }) createdAt: Date;
}

/** One row per rollout, projected from its `rollout/` stream: the list and the detail's head. */
@Entity({ name: 'rollouts', schema: READ_MODEL_SCHEMA })
@Index(['tenantId', 'startedAt', 'rolloutId'])
export class RolloutView {
  @PrimaryColumn({ name: 'rollout_id', type: 'uuid' }) rolloutId: string;
  @Column({ name: 'tenant_id', type: 'text' }) tenantId: string;
  @Column({ name: 'stream_name', type: 'text', unique: true }) streamName: string;
  @Column({ type: 'text' }) status: string;
  @Column({ name: 'started_at', type: 'timestamptz' }) startedAt: Date;
  @Column({ name: 'ended_at', type: 'timestamptz', nullable: true }) endedAt: Date | null;
  /** When the rollout driver's clock must look again: a soak's end, a retry due. */
  @Column({ name: 'wake_at', type: 'timestamptz', nullable: true }) wakeAt: Date | null;
  @Column({ name: 'stream_revision', type: 'int' }) streamRevision: number;
  @Column({ type: 'jsonb' }) document: RolloutSummaryDto;
}

/**
 * One row per target of a rollout, so that a rollout of 10,000 clients is read a page at a
 * time; written when the rollout starts and again each time that client's entry changes.
 */
@Entity({ name: 'rollout_clients', schema: READ_MODEL_SCHEMA })
@Index(['rolloutId', 'position'])
export class RolloutClientView {
  @PrimaryColumn({ name: 'rollout_id', type: 'uuid' }) rolloutId: string;
  @PrimaryColumn({ name: 'client_id', type: 'text' }) clientId: string;
  @Column({ name: 'tenant_id', type: 'text' }) tenantId: string;
  /** Index of the client in the rollout's targets: the order jobs are requested in. */
  @Column({ type: 'int' }) position: number;
  @Column({ type: 'text' }) state: RolloutClientState;
  @Column({ name: 'stream_revision', type: 'int' }) streamRevision: number;
  @Column({ type: 'jsonb' }) document: RolloutClientDto;
}

/** One row per release of a tenant's catalogue, projected from its `release/` stream. */
@Entity({ name: 'releases', schema: READ_MODEL_SCHEMA })
@Index(['tenantId', 'registeredAt', 'releaseId'])
export class ReleaseView {
  @PrimaryColumn({ name: 'release_id', type: 'uuid' }) releaseId: string;
  @Column({ name: 'tenant_id', type: 'text' }) tenantId: string;
  @Column({ name: 'stream_name', type: 'text', unique: true }) streamName: string;
  @Column({ type: 'text' }) product: string;
  @Column({ type: 'text' }) version: string;
  @Column({ type: 'boolean' }) withdrawn: boolean;
  @Column({ name: 'registered_at', type: 'timestamptz' }) registeredAt: Date;
  @Column({ name: 'stream_revision', type: 'int' }) streamRevision: number;
  @Column({ type: 'jsonb' }) document: ReleaseDto;
}

/**
 * The latest state summary each agent retained on its `state` topic (agent version, workload,
 * the job and machine state it is in, clock skew): telemetry kept apart from the events, and
 * not rebuilt (a rebuild leaves it).
 */
@Entity({ name: 'device_states', schema: READ_MODEL_SCHEMA })
export class DeviceStateView {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' }) tenantId: string;
  @PrimaryColumn({ name: 'client_id', type: 'text' }) clientId: string;
  @Column({ type: 'jsonb' }) summary: StateSummary;
  /** When the agent made the summary (its clock). */
  @Column({ name: 'reported_at', type: 'timestamptz' }) reportedAt: Date;
  /** When the service received it (its clock). */
  @Column({ name: 'received_at', type: 'timestamptz' }) receivedAt: Date;
}

export const READ_MODEL_ENTITIES = [
  ClientView,
  JobView,
  RolloutView,
  RolloutClientView,
  ReleaseView,
  DeviceCredentialSecret,
  DeviceStateView,
];

/** The tables the projection writes (emptied by a rebuild; device credentials are not). */
export const PROJECTED_TABLES = ['clients', 'jobs', 'rollouts', 'rollout_clients', 'releases'].map(
  (table) => `${READ_MODEL_SCHEMA}.${table}`,
);
