import type { EventStore } from '@opcfleet/event-store';
import { DataSource } from 'typeorm';
import { READ_MODEL_ENTITIES, READ_MODEL_SCHEMA } from './read-model.entities';
import { READ_MODEL_SUBSCRIPTION } from './read-model.projection';

/**
 * The TypeORM DataSource of the read models, initialised with their tables in place. The
 * tables are derived from the entities (synchronize): they hold nothing that cannot be rebuilt
 * from the events, so a schema change is a drop and a rebuild (npm run projections:rebuild).
 */
export async function createReadModelDataSource(options: {
  connectionString: string;
  poolMax?: number;
  /** Drop the tables and the projection's checkpoint first: they are rebuilt from the events. */
  rebuildFrom?: EventStore;
}): Promise<DataSource> {
  const dataSource = new DataSource({
    type: 'postgres',
    url: options.connectionString,
    entities: READ_MODEL_ENTITIES,
    synchronize: false,
    extra: { max: options.poolMax ?? 10 },
  });
  await dataSource.initialize();
  try {
    await dataSource.query(`CREATE SCHEMA IF NOT EXISTS ${READ_MODEL_SCHEMA}`);
    if (options.rebuildFrom) await dropReadModels(dataSource, options.rebuildFrom);
    // Two replicas starting together may race on the DDL: the loser's retry sees the tables.
    await dataSource.synchronize().catch(() => dataSource.synchronize());
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
  return dataSource;
}

/**
 * Forgets the projection's checkpoint, then drops the read-model tables: the projection
 * subscription then projects every event again from the beginning. In that order, a crash in
 * between only replays events onto rows that are ahead (they never go back).
 */
export async function dropReadModels(dataSource: DataSource, store: EventStore) {
  await store.checkpointer().delete(READ_MODEL_SUBSCRIPTION);
  await dataSource.query(
    `DROP TABLE IF EXISTS ${READ_MODEL_SCHEMA}.clients, ${READ_MODEL_SCHEMA}.jobs`,
  );
}
