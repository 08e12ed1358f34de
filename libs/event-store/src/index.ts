export * from './event-store';
// Opening a store, and the migration runner for a caller's own tables: the adapter behind the
// port (PostgreSQL, which PGlite also speaks) is reached through these, never by its name.
export { connectEventStore, type ConnectEventStoreOptions } from './postgres/postgres-event-store';
export {
  runMigrations,
  type Migration,
  type MigrationsReport,
} from './postgres/migrations/migration-runner';
export { startEmbeddedPostgres } from './pglite/embedded-postgres';
