import { runEventStoreCli } from '../event-sourcing/event-store-cli';
import { createReadModelDataSource } from '../read-models/read-model.data-source';
import { migrateEventStore } from './event-store-migrations';

/**
 * `npm run migrate`: every schema and data migration the service would apply at start, for a
 * deployment that migrates before it starts the processes: the event store's tables, what the
 * store holds (stream names), and the read models' tables (emptied for the projection to fill
 * again when a migration asks for it). DATABASE_URL and EVENT_STORE_SCHEMA from the environment.
 */
runEventStoreCli('migration', async ({ store, env, logger }) => {
  const { readModelsStale } = await migrateEventStore(store, logger);
  const dataSource = await createReadModelDataSource({
    connectionString: env.DATABASE_URL,
    eventStoreSchema: env.EVENT_STORE_SCHEMA,
    logger,
    ...(readModelsStale && { rebuildFrom: store }),
  });
  await dataSource.destroy();
  console.log('migrated: event store, its data, read models');
});
