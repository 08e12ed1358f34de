/**
 * `@opcfleet/event-store/postgres`: the PostgreSQL (and PGlite) adapter of the port, and the
 * migration runner for a caller's own tables. Everything else in this folder is internal.
 */
import {
  loadCheckpoint as loadCheckpointOn,
  storeCheckpoint as storeCheckpointOn,
  type SqlQuery as Query,
} from './checkpoints';

export {
  PostgresEventStore,
  type PostgresEventStoreOptions,
  type PostgresMigrateOptions,
  // Deprecated types of the deprecated APIs; they go when the service has moved.
  type DependentWrite,
  type OnAppended,
  type PostgresAppendOptions,
  type StreamAppendOutcome,
  type StreamAppendRequest,
  type WriteTransaction,
} from './postgres-event-store';
export {
  pendingMigrations,
  runMigrations,
  type Migration,
  type MigrationQuery,
  type MigrationsReport,
  type RunMigrationsOptions,
} from './migrations/migration-runner';

/**
 * @deprecated Return `{ rows }` from a subscription handler instead: the store writes them with
 * the checkpoint, in one commit.
 */
export const storeCheckpoint = storeCheckpointOn;
/** @deprecated Use `store.checkpointer().load(name)`. */
export const loadCheckpoint = loadCheckpointOn;
/** @deprecated Only the deprecated checkpoint functions take it. */
export type SqlQuery = Query;
