import {
  Global,
  Injectable,
  Module,
  type DynamicModule,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { EventStore } from '@opcfleet/event-store';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { EVENT_STORE, EVENT_STORE_MIGRATED } from '../event-sourcing/event-store.token';
import { createReadModelDataSource } from './read-model.data-source';

@Injectable()
class ReadModelStoreCloser implements OnApplicationShutdown {
  constructor(private readonly dataSource: DataSource) {}
  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}

/**
 * The TypeORM DataSource of the read models, set up once the event store is migrated: their
 * tables migrated, and their rows dropped for a rebuild when an event-store migration made
 * them stale.
 */
@Global()
@Module({})
export class ReadModelStoreModule {
  static forRoot(options: {
    connectionString: string;
    eventStoreSchema: string;
    poolMax?: number;
    logger?: Logger;
  }): DynamicModule {
    return {
      module: ReadModelStoreModule,
      providers: [
        {
          provide: DataSource,
          inject: [EVENT_STORE, EVENT_STORE_MIGRATED],
          useFactory: (store: EventStore, migrated: { readModelsStale: boolean }) =>
            createReadModelDataSource({
              ...options,
              ...(migrated.readModelsStale && { rebuildFrom: store }),
            }),
        },
        ReadModelStoreCloser,
      ],
      exports: [DataSource],
    };
  }
}
