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
  rebuildIn?: { checkpointSchema: string };
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
    if (options.rebuildIn) await dropReadModels(dataSource, options.rebuildIn.checkpointSchema);
    // Two replicas starting together may race on the DDL: the loser's retry sees the tables.
    await dataSource.synchronize().catch(() => dataSource.synchronize());
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
  return dataSource;
}

/**
 * Drops the read-model tables and the projection's checkpoint, in one transaction: the
 * projection subscription then projects every event again from position 0.
 */
export async function dropReadModels(dataSource: DataSource, checkpointSchema: string) {
  await dataSource.transaction(async (manager) => {
    await manager.query(
      `DROP TABLE IF EXISTS ${READ_MODEL_SCHEMA}.clients, ${READ_MODEL_SCHEMA}.jobs`,
    );
    await manager.query(`DELETE FROM ${checkpointSchema}.checkpoints WHERE name = $1`, [
      READ_MODEL_SUBSCRIPTION,
    ]);
  });
}
