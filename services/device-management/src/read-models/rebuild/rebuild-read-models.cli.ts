import 'reflect-metadata';
import { PostgresEventStore } from '@opcfleet/event-store/postgres';
import { z } from 'zod';
import { createAppLogger } from '../../observability/app-logger';
import { createReadModelDataSource } from '../read-model.data-source';
import { rebuildReadModels } from './rebuild-read-models';

/** `npm run projections:rebuild`: DATABASE_URL (and EVENT_STORE_SCHEMA) from the environment. */
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
    logger,
  });
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
    await store.close();
    await dataSource.destroy();
  }
}

main().catch((error: unknown) => {
  console.error('rebuild failed:', error);
  process.exit(1);
});
