import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { Logger } from 'pino';
import { APP_LOGGER } from './app-logger';
import { ServiceMetrics } from './service-metrics';

/** The service's logger and metrics, for every module. */
@Global()
@Module({})
export class ObservabilityModule {
  static forRoot(logger: Logger): DynamicModule {
    return {
      module: ObservabilityModule,
      providers: [{ provide: APP_LOGGER, useValue: logger }, ServiceMetrics],
      exports: [APP_LOGGER, ServiceMetrics],
    };
  }
}
