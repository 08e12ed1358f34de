import { runEventStoreCli } from '../../event-sourcing/event-store-cli';
import { createReadModelDataSource } from '../read-model.data-source';
import { rebuildReadModels } from './rebuild-read-models';

/** `npm run projections:rebuild`: DATABASE_URL (and EVENT_STORE_SCHEMA) from the environment. */
runEventStoreCli('rebuild', async ({ store, env, logger }) => {
  const dataSource = await createReadModelDataSource({
    connectionString: env.DATABASE_URL,
    eventStoreSchema: env.EVENT_STORE_SCHEMA,
    logger,
  });
  try {
    const result = await rebuildReadModels({ store, dataSource, logger });
    console.log(
      `read models rebuilt from position 0: ${result.clients} clients, ${result.jobs} jobs in ${result.seconds.toFixed(2)} s`,
    );
  } finally {
    await dataSource.destroy();
  }
});
