import { DataSource } from 'typeorm';
import { READ_MODEL_ENTITIES, READ_MODEL_SCHEMA } from './read-model.entities';

/**
 * The TypeORM DataSource of the read models, initialised with their tables in place. The
 * tables are derived from the entities (synchronize): they hold nothing that cannot be rebuilt
 * from the events, so a schema change is a drop and a rebuild (npm run projections:rebuild).
 */
export async function createReadModelDataSource(options: {
  connectionString: string;
  poolMax?: number;
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
    // Two replicas starting together may race on the DDL: the loser's retry sees the tables.
    await dataSource.synchronize().catch(() => dataSource.synchronize());
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
  return dataSource;
}
