import 'reflect-metadata';
import { PostgresEventStore } from '@opcfleet/event-store/postgres';
import { z } from 'zod';
import { createAppLogger } from '../observability/app-logger';
import { createReadModelDataSource } from '../read-models/read-model.data-source';
import { migrateEventStore } from './event-store-migrations';

/**
 * `npm run migrate`: every schema and data migration the service would apply at start, for a
 * deployment that migrates before it starts the processes: the event store's tables, what the
 * store holds (stream names), and the read models' tables (emptied for the projection to fill
 * again when a migration asks for it). DATABASE_URL and EVENT_STORE_SCHEMA from the environment.
 */
const envSchema = z.object({
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\/.+/, 'must be a postgres:// URL'),
  EVENT_STORE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/)
    .default('event_store'),
  LOG_LEVEL: z.string().default('info'),
});

async function main(): Promise<void> {
  const parsed = envSchema.safeParse(process.env);
  if (!parsed.success) {
    for (const issue of parsed.error.issues)
      console.error(`${issue.path.join('.')}: ${issue.message}`);
    process.exit(2);
  }
  const env = parsed.data;
  const logger = createAppLogger(env.LOG_LEVEL);
  const store = await PostgresEventStore.connect({
    connectionString: env.DATABASE_URL,
    schema: env.EVENT_STORE_SCHEMA,
    listen: false,
    logger,
  });
  try {
    const { readModelsStale } = await migrateEventStore(store, logger);
    const dataSource = await createReadModelDataSource({
      connectionString: env.DATABASE_URL,
      eventStoreSchema: env.EVENT_STORE_SCHEMA,
      logger,
      ...(readModelsStale && { rebuildFrom: store }),
    });
    await dataSource.destroy();
    console.log('migrated: event store, its data, read models');
  } finally {
    await store.close();
  }
}

main().catch((error: unknown) => {
  console.error('migration failed:', error);
  process.exit(1);
});
