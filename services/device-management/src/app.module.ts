import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import type { Logger } from 'pino';
import { AlertsModule } from './alerts/alerts.module';
import { AuditModule } from './audit/audit.module';
import { AuthGuard } from './auth/auth.guard';
import { AuthModule } from './auth/auth.module';
import { ClientsModule } from './clients/clients.module';
import type { AppConfig } from './config/app.config';
import { ConfigModule } from './config/config.module';
import { ConsoleSettingsModule } from './console-settings/console-settings.module';
import { DevSignInModule } from './dev-sign-in/dev-sign-in.module';
import { EventStoreModule } from './event-sourcing/event-store.module';
import { ErrorResponseFilter } from './http/error-response.filter';
import { JsonBodyGuard } from './http/json-body.guard';
import { requestValidationPipe } from './http/validation.pipe';
import { JobsModule } from './jobs/jobs.module';
import type { MessagingConfig } from './messaging/messaging.config';
import { MessagingModule } from './messaging/messaging.module';
import { HealthHttpController } from './observability/health.http.controller';
import { MetricsHttpController } from './observability/metrics.http.controller';
import { ObservabilityModule } from './observability/observability.module';
import { migrateEventStore } from './migrations/event-store-migrations';
import { OverviewModule } from './overview/overview.module';
import { ReadModelStoreModule } from './read-models/read-model-store.module';
import { readModelRows } from './read-models/read-model.rows';
import { ReadModelsModule } from './read-models/read-models.module';
import { ReleasesModule } from './releases/releases.module';
import { RolloutsModule } from './rollouts/rollouts.module';
import { WorkersModule } from './workers/workers.module';
import type { Tracing } from './shared/tracing';

/**
 * The device-management service, assembled from its feature modules: clients, jobs, rollouts
 * and read models, the MQTT adapter (none without `messaging`: no MQTT_URL), and the workers'
 * lifecycle. The HTTP edge (validation, JSON bodies, error mapping) applies to every route.
 */
@Module({})
export class AppModule {
  static forRoot(
    config: AppConfig,
    logger: Logger,
    messaging?: MessagingConfig,
    tracing?: Tracing,
  ): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CqrsModule.forRoot(),
        ConfigModule.forRoot(config),
        ObservabilityModule.forRoot(logger, tracing),
        EventStoreModule.forRoot({
          connectionString: config.databaseUrl,
          schema: config.eventStoreSchema,
          poolMax: config.databasePoolMax,
          preparedStatements: config.databasePreparedStatements,
          logger,
          inlineProjection: readModelRows,
          migrate: migrateEventStore,
        }),
        ReadModelStoreModule.forRoot({
          connectionString: config.databaseUrl,
          eventStoreSchema: config.eventStoreSchema,
          poolMax: config.databasePoolMax,
          logger: logger.child({ component: 'migrations' }),
        }),
        AuthModule.forRoot(config.auth),
        MessagingModule.forRoot(messaging, logger),
        ReadModelsModule,
        JobsModule,
        ClientsModule,
        RolloutsModule,
        ReleasesModule,
        OverviewModule,
        AuditModule,
        AlertsModule,
        WorkersModule,
        DevSignInModule.forRoot(config),
        ConsoleSettingsModule,
      ],
      controllers: [HealthHttpController, MetricsHttpController],
      // The HTTP edge of every route, in the order a request meets it: the token, then the
      // body (never read for an anonymous caller), then validation; errors mapped last.
      providers: [
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_GUARD, useClass: JsonBodyGuard },
        { provide: APP_PIPE, useFactory: requestValidationPipe },
        { provide: APP_FILTER, useFactory: () => new ErrorResponseFilter(logger) },
      ],
    };
  }
}
