import type { EventStore } from '@opcfleet/event-store';
import { runMigrations, type MigrationsReport } from '@opcfleet/event-store';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { readModelMigrations } from './migrations/read-model-migrations';
import { PROJECTED_TABLES, READ_MODEL_ENTITIES, READ_MODEL_SCHEMA } from './read-model.entities';
import { READ_MODEL_SUBSCRIPTION } from './read-model.projection';

export interface ReadModelDatabase {
  connectionString: string;
  /** The event store's schema, whose checkpoints table holds the projection's checkpoint. */
  eventStoreSchema: string;
  logger?: Logger;
}

/**
 * Applies the read models' pending migrations (read-model-migrations.ts), under an advisory
 * lock: replicas starting together apply each once. Run at start and by `npm run migrate`.
 */
export function migrateReadModels(options: ReadModelDatabase): Promise<MigrationsReport> {
  return runMigrations({
    connectionString: options.connectionString,
    schema: READ_MODEL_SCHEMA,
    migrations: readModelMigrations({
      eventStoreSchema: options.eventStoreSchema,
      projection: READ_MODEL_SUBSCRIPTION,
    }),
    logger: options.logger,
  });
}

/** The TypeORM DataSource of the read models, once their tables are migrated. */
export async function createReadModelDataSource(
  options: ReadModelDatabase & {
    poolMax?: number;
    /** Empty the tables and forget the projection's checkpoint: they are rebuilt from the events. */
    rebuildFrom?: EventStore;
  },
): Promise<DataSource> {
  await migrateReadModels(options);
  const dataSource = new DataSource({
    type: 'postgres',
    url: options.connectionString,
    entities: READ_MODEL_ENTITIES,
    synchronize: false,
    extra: { max: options.poolMax ?? 10 },
  });
  await dataSource.initialize();
  try {
    if (options.rebuildFrom) await dropReadModels(dataSource, options.rebuildFrom);
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
  return dataSource;
}

/**
 * Forgets the projection's checkpoint, then empties the projected tables (device credentials
 * are not projected, and stay): the projection subscription then projects every event again
 * from the beginning. In that order, a crash in between only replays events onto rows that are
 * ahead (they never go back).
 */
export async function dropReadModels(dataSource: DataSource, store: EventStore) {
  await store.checkpointer().delete(READ_MODEL_SUBSCRIPTION);
  await dataSource.query(`TRUNCATE ${PROJECTED_TABLES.join(', ')}`);
}
