import type { FailureEvidence } from '@opcfleet/contracts';

/** One persisted update job: where its machine stands and how it got there. */

export interface TransitionLogEntry {
  at: string;
  from: string | null;
  to: string;
  event: string;
  /** Why, when the transition was a failure, a timeout or a rollback. */
  reason?: string;
}

export interface JobRecord<TContext = unknown> {
  jobId: string;
  /** Version of the statechart that wrote this record; a mismatch is handled, never guessed at. */
  machineVersion: number;
  state: string;
  context: TContext;
  log: TransitionLogEntry[];
  /** How many log entries have been handed to the status reporter (they are reported in order). */
  reportedThrough: number;
  /**
   * Why the new version failed, as the failure report shows it: taken when the rollback starts
   * (before the failed container is removed) and completed when the job ends, saved with the
   * record so a power cut before the report went out loses none of it.
   */
  evidence?: FailureEvidence;
  createdAt: string;
  updatedAt: string;
}

export type LoadedJob<TContext = unknown> =
  | { kind: 'ok'; record: JobRecord<TContext> }
  | { kind: 'missing'; jobId: string }
  | { kind: 'incompatible'; jobId: string; machineVersion: number; raw: unknown }
  | { kind: 'corrupt'; jobId: string; error: string };

export interface JobListing {
  jobId: string;
  state: string;
  machineVersion: number;
  createdAt: string;
  updatedAt: string;
}

export interface SnapshotStore {
  /** Durable when it resolves: the record survives a power cut. */
  save(record: JobRecord): Promise<void>;
  /** `incompatible` when the record was written by a machine version not in `readableVersions`. */
  load(jobId: string, readableVersions: readonly number[]): Promise<LoadedJob>;
  /** Every job on disk, oldest first (for `history`). */
  list(): Promise<JobListing[]>;
}
