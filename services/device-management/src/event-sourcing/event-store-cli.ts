import 'reflect-metadata';
import { connectEventStore, type EventStore } from '@opcfleet/event-store';
import type { Logger } from 'pino';
import { z } from 'zod';
import { createAppLogger } from '../observability/app-logger';

/** What a command-line tool over the event store reads from the environment. */
const envSchema = z.object({
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\/.+/, 'must be a postgres:// URL'),
  EVENT_STORE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/)
    .default('event_store'),
  LOG_LEVEL: z.string().default('info'),
});

export type EventStoreCliEnv = z.infer<typeof envSchema>;

/**
 * Runs a one-shot tool (`npm run migrate`, `npm run projections:rebuild`) against the event
 * store of DATABASE_URL: a wrong environment exits 2 naming the variable, a failure exits 1,
 * and the store is closed either way.
 */
export function runEventStoreCli(
  what: string,
  work: (tools: { store: EventStore; env: EventStoreCliEnv; logger: Logger }) => Promise<void>,
): void {
  const parsed = envSchema.safeParse(process.env);
  if (!parsed.success) {
    for (const issue of parsed.error.issues)
      console.error(`${issue.path.join('.')}: ${issue.message}`);
    process.exit(2);
  }
  const env = parsed.data;
  const logger = createAppLogger(env.LOG_LEVEL);
  (async () => {
    const store = await connectEventStore({
      connectionString: env.DATABASE_URL,
      schema: env.EVENT_STORE_SCHEMA,
      listen: false,
      logger,
    });
    try {
      await work({ store, env, logger });
    } finally {
      await store.close();
    }
  })().catch((error: unknown) => {
    console.error(`${what} failed:`, error);
    process.exit(1);
  });
}
