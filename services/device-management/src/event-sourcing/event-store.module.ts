import {
  Global,
  Inject,
  Module,
  type DynamicModule,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { connectEventStore, type EventStore, type InlineProjection } from '@opcfleet/event-store';
import type { Logger } from 'pino';
import { EVENT_STORE, EVENT_STORE_MIGRATED, INLINE_PROJECTION } from './event-store.token';
import { EventStreams } from './event-streams';
import { LocalCommits } from './local-commits';

export interface EventStoreModuleOptions {
  connectionString: string;
  schema: string;
  poolMax?: number;
  /** Appends and reads as named prepared statements (default true; PGlite never). */
  preparedStatements?: boolean;
  logger: Logger;
  /** The rows every append writes in its commit (the read models' row mapper). */
  inlineProjection?: InlineProjection;
  /** Migrates what the store holds, once connected; says whether the read models are stale. */
  migrate?: (store: EventStore, logger: Logger) => Promise<{ readModelsStale: boolean }>;
}

class EventStoreCloser implements OnApplicationShutdown {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}
  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}

/**
 * Provides the EventStore (token EVENT_STORE), migrated (EVENT_STORE_MIGRATED resolves once it
 * is), EventStreams, through which the service appends, and LocalCommits.
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
            connectEventStore({
              connectionString: options.connectionString,
              schema: options.schema,
              poolMax: options.poolMax,
              preparedStatements: options.preparedStatements,
              logger: options.logger.child({ component: 'event-store' }),
            }),
        },
        {
          provide: EVENT_STORE_MIGRATED,
          inject: [EVENT_STORE],
          useFactory: async (store: EventStore) =>
            (await options.migrate?.(store, options.logger.child({ component: 'migrations' }))) ?? {
              readModelsStale: false,
            },
        },
        { provide: INLINE_PROJECTION, useValue: options.inlineProjection },
        EventStoreCloser,
        LocalCommits,
        EventStreams,
      ],
      exports: [EVENT_STORE, EVENT_STORE_MIGRATED, EventStreams, LocalCommits],
    };
  }
}
