/**
 * `@opcfleet/event-store/postgres`: the PostgreSQL (and PGlite) adapter of the port, and the
 * migration runner for a caller's own tables. Everything else in this folder is internal.
 */
export {
  PostgresEventStore,
  type PostgresEventStoreOptions,
  type PostgresMigrateOptions,
} from './postgres-event-store';
export {
  pendingMigrations,
  runMigrations,
  type Migration,
  type MigrationQuery,
  type MigrationsReport,
  type RunMigrationsOptions,
} from './migrations/migration-runner';
