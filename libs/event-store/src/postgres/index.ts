export * from './postgres-event-store';
export { loadCheckpoint, storeCheckpoint, type SqlQuery } from './checkpoints';
export {
  pendingMigrations,
  runMigrations,
  type Migration,
  type MigrationQuery,
  type MigrationsReport,
  type RunMigrationsOptions,
} from './migrations/migration-runner';
