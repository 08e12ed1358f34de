import {
  Global,
  Inject,
  Module,
  type DynamicModule,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { EventStore } from '@opcfleet/event-store';
import { PostgresEventStore } from '@opcfleet/event-store/postgres/postgres-event-store';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { migrateEventStore } from '../migrations/event-store-migrations';
import { createReadModelDataSource } from '../read-models/read-model.data-source';
import { checkpointSchemaOf } from '../read-models/read-model.projection';
import { EVENT_STORE } from './event-store.token';
import { EventStreams } from './event-streams';
import { LocalCommits } from './local-commits';

export interface EventStoreModuleOptions {
  connectionString: string;
  schema: string;
  poolMax?: number;
  logger: Logger;
}

/** Resolves once the store's data is migrated: the read models are set up after it. */
const EVENT_STORE_MIGRATED = Symbol('EventStoreMigrated');

class PersistenceCloser implements OnApplicationShutdown {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly dataSource: DataSource,
  ) {}
  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}

/**
 * Provides the EventStore (token EVENT_STORE), EventStreams, and the TypeORM DataSource of the
 * read models, whose tables exist before the first append: every append projects into them.
 */
@Global()
@Module({})
export class EventStoreModule {
  static forRoot(options: EventStoreModuleOptions): DynamicModule {
    return {
      module: EventStoreModule,
      providers: [
        {
          provide: EVENT_STORE,
          useFactory: () =>
            PostgresEventStore.connect({
              connectionString: options.connectionString,
              schema: options.schema,
              poolMax: options.poolMax,
              logger: options.logger.child({ component: 'event-store' }),
            }),
        },
        {
          provide: EVENT_STORE_MIGRATED,
          inject: [EVENT_STORE],
          useFactory: (store: EventStore) =>
            migrateEventStore(store, options.logger.child({ component: 'migrations' })),
        },
        {
          provide: DataSource,
          inject: [EVENT_STORE, EVENT_STORE_MIGRATED],
          useFactory: (store: EventStore, migrated: { readModelsStale: boolean }) =>
            createReadModelDataSource({
              connectionString: options.connectionString,
              poolMax: options.poolMax,
              ...(migrated.readModelsStale && {
                rebuildIn: { checkpointSchema: checkpointSchemaOf(store) },
              }),
            }),
        },
        PersistenceCloser,
        LocalCommits,
        EventStreams,
      ],
      exports: [EVENT_STORE, EventStreams, LocalCommits, DataSource],
    };
  }
}
