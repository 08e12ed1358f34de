import { InvalidEventStoreInputError, type EventStore } from '@opcfleet/event-store';
import type { Logger } from 'pino';
import { deterministicId } from '../shared/domain/deterministic-id';
import { idName } from '../shared/domain/stream-names';
import { retry } from '../shared/retry';
import { migrateStreamNamesV2 } from './stream-names-v2/stream-names-v2.migration';

/**
 * Migrations of what the event store holds (not of its tables: the store creates those). Each
 * runs once: when it is done, a `MigrationApplied` event in this stream says so, and the next
 * start only reads this stream. The name is no stream name the service builds from ids.
 */
export const MIGRATIONS_STREAM = '$migrations';

interface EventStoreMigration {
  name: string;
  /** What it did, in numbers, and whether the read models must be built again from the events. */
  run(
    store: EventStore,
    logger: Logger,
  ): Promise<{ counts: Record<string, number>; readModelsStale: boolean }>;
}

const MIGRATIONS: readonly EventStoreMigration[] = [
  {
    name: 'stream-names-v2',
    run: async (store, logger) => {
      const counts = await migrateStreamNamesV2(store, logger);
      return { counts: { ...counts }, readModelsStale: counts.renamed + counts.repaired > 0 };
    },
  },
];

/**
 * Runs the migrations the store has not had yet, in order. Two replicas starting together may
 * both run one: the loser's rename is refused (the names are taken) and it runs again, finding
 * the work done. Resolves with whether the read models are stale now.
 */
export async function migrateEventStore(
  store: EventStore,
  logger: Logger,
): Promise<{ readModelsStale: boolean }> {
  let readModelsStale = false;
  for (const migration of MIGRATIONS) {
    const log = logger.child({ migration: migration.name });
    await retry(
      async () => {
        if (await applied(store, migration.name)) return;
        log.info('migrating the event store');
        const { counts, readModelsStale: stale } = await migration.run(store, log);
        await store.appendToStream(MIGRATIONS_STREAM, [
          {
            id: deterministicId(idName('migration', migration.name)),
            type: 'MigrationApplied',
            data: { migration: migration.name, ...counts, at: new Date().toISOString() },
            metadata: { actor: 'system:migrations', correlationId: migration.name },
          },
        ]);
        log.info(counts, 'event store migrated');
        readModelsStale ||= stale;
      },
      {
        // Refused because another process renamed first: it runs again and finds the work done.
        classify: (error) => (error instanceof InvalidEventStoreInputError ? 'conflict' : 'fatal'),
        maxConflicts: 3,
        onRetry: ({ error, attempt }) =>
          log.warn(
            { err: (error as Error).message, attempt: attempt + 1 },
            'migration raced another process; again',
          ),
      },
    );
  }
  return { readModelsStale };
}

async function applied(store: EventStore, name: string): Promise<boolean> {
  const events = await store.readStream(MIGRATIONS_STREAM);
  return events.some(
    (event) =>
      event.type === 'MigrationApplied' &&
      (event.data as { migration?: string }).migration === name,
  );
}
