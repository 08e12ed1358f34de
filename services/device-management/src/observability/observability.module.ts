import {
  Global,
  Inject,
  Module,
  type DynamicModule,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Logger } from 'pino';
import { NO_TRACING, TRACING, type Tracing } from '../shared/tracing';
import { APP_LOGGER } from './app-logger';
import { ServiceMetrics } from './service-metrics';

/** Exports the spans still buffered when the app closes. */
class TracingShutdown implements OnApplicationShutdown {
  constructor(@Inject(TRACING) private readonly tracing: Tracing) {}

  async onApplicationShutdown(): Promise<void> {
    await this.tracing.shutdown();
  }
}

/** The service's logger, metrics and tracing (NO_TRACING by default), for every module. */
@Global()
@Module({})
export class ObservabilityModule {
  static forRoot(logger: Logger, tracing: Tracing = NO_TRACING): DynamicModule {
    return {
      module: ObservabilityModule,
      providers: [
        { provide: APP_LOGGER, useValue: logger },
        { provide: TRACING, useValue: tracing },
        TracingShutdown,
        ServiceMetrics,
      ],
      exports: [APP_LOGGER, TRACING, ServiceMetrics],
    };
  }
}
