import {
  Global,
  Injectable,
  Module,
  type DynamicModule,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { EventStore } from '@opcfleet/event-store';
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
 * The TypeORM DataSource of the read models, set up once the event store is migrated (and
 * their rows dropped for a rebuild when a migration made them stale).
 */
@Global()
@Module({})
export class ReadModelStoreModule {
  static forRoot(options: { connectionString: string; poolMax?: number }): DynamicModule {
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
