import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import type { Logger } from 'pino';
import { AuthModule } from './auth/auth.module';
import { GetClientHistoryHandler } from './clients/client-history/client-history.handler';
import { GetClientHistoryHttpController } from './clients/client-history/client-history.http.controller';
import { GetClientHandler } from './clients/get-client/get-client.handler';
import { GetClientHttpController } from './clients/get-client/get-client.http.controller';
import {
  DEVICE_CREDENTIAL_CONTROLLERS,
  DEVICE_CREDENTIAL_PROVIDERS,
} from './clients/device-credentials/device-credentials.providers';
import { ListClientsHandler } from './clients/list-clients/list-clients.handler';
import { ListClientsHttpController } from './clients/list-clients/list-clients.http.controller';
import { RecordClientPresenceHandler } from './clients/record-presence/record-presence.handler';
import { RegisterClientHandler } from './clients/register-client/register-client.handler';
import { RegisterClientHttpController } from './clients/register-client/register-client.http.controller';
import { APP_CONFIG, type AppConfig } from './config/app.config';
import { RequestConfigChangeHandler } from './jobs/config/request-config-change/request-config-change.handler';
import { RequestConfigChangeHttpController } from './jobs/config/request-config-change/request-config-change.http.controller';
import { EventStoreModule } from './event-sourcing/event-store.module';
import { ErrorResponseFilter } from './http/error-response.filter';
import { JsonBodyInterceptor } from './http/json-body.interceptor';
import { requestValidationPipe } from './http/validation.pipe';
import { CancelJobHandler } from './jobs/cancel-job/cancel-job.handler';
import { CancelJobHttpController } from './jobs/cancel-job/cancel-job.http.controller';
import { GetJobHandler } from './jobs/get-job/get-job.handler';
import { GetJobHttpController } from './jobs/get-job/get-job.http.controller';
import { IngestStatusReportHandler } from './ingestion/ingest-status-report.handler';
import { JobBatchWriter } from './jobs/job-batch/job-batch.writer';
import { JobChangesHttpController } from './jobs/job-changes/job-changes.http.controller';
import { GetJobEventsHandler } from './jobs/job-events/job-events.handler';
import { GetJobEventsHttpController } from './jobs/job-events/job-events.http.controller';
import { JobHistory } from './jobs/job-history';
import { JobStreams } from './jobs/job-streams';
import { ListJobsHandler } from './jobs/list-jobs/list-jobs.handler';
import { ListJobsHttpController } from './jobs/list-jobs/list-jobs.http.controller';
import { RecordCommandDispatchedHandler } from './jobs/dispatch/record-command-dispatched.handler';
import { TimeOutJobHandler } from './jobs/timeouts/time-out-job.handler';
import { APP_LOGGER } from './observability/app-logger';
import { HealthHttpController } from './observability/health.http.controller';
import { MetricsHttpController } from './observability/metrics.http.controller';
import { ServiceMetrics } from './observability/service-metrics';
import { JobChangeFeed } from './read-models/job-change-feed';
import { ReadModelProjection } from './read-models/read-model.projection';
import {
  ROLLOUT_CONTROLLERS,
  ROLLOUT_HANDLERS,
  ROLLOUT_PROVIDERS,
} from './rollouts/rollouts.providers';
import { RequestUpdateHandler } from './jobs/update/request-update/request-update.handler';
import { RequestUpdateHttpController } from './jobs/update/request-update/request-update.http.controller';

const commandHandlers = [
  RegisterClientHandler,
  RecordClientPresenceHandler,
  RequestUpdateHandler,
  RequestConfigChangeHandler,
  CancelJobHandler,
  RecordCommandDispatchedHandler,
  IngestStatusReportHandler,
  TimeOutJobHandler,
  ...ROLLOUT_HANDLERS.commands,
];
const queryHandlers = [
  GetClientHandler,
  ListClientsHandler,
  GetClientHistoryHandler,
  GetJobHandler,
  ListJobsHandler,
  GetJobEventsHandler,
  ...ROLLOUT_HANDLERS.queries,
];

/** The device-management service: REST API, command and query side, read models. */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CqrsModule.forRoot(),
        EventStoreModule.forRoot({
          connectionString: config.databaseUrl,
          schema: config.eventStoreSchema,
          poolMax: config.databasePoolMax,
          logger,
        }),
        AuthModule.forRoot(config.auth),
      ],
      controllers: [
        // Before GET /jobs/:id, which would otherwise take /jobs/changes.
        JobChangesHttpController,
        RegisterClientHttpController,
        ListClientsHttpController,
        GetClientHttpController,
        GetClientHistoryHttpController,
        RequestUpdateHttpController,
        RequestConfigChangeHttpController,
        ListJobsHttpController,
        GetJobHttpController,
        GetJobEventsHttpController,
        CancelJobHttpController,
        ...ROLLOUT_CONTROLLERS,
        ...DEVICE_CREDENTIAL_CONTROLLERS,
        HealthHttpController,
        MetricsHttpController,
      ],
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: APP_LOGGER, useValue: logger },
        { provide: APP_INTERCEPTOR, useClass: JsonBodyInterceptor },
        { provide: APP_PIPE, useFactory: requestValidationPipe },
        { provide: APP_FILTER, useFactory: () => new ErrorResponseFilter(logger) },
        JobStreams,
        JobBatchWriter,
        JobHistory,
        JobChangeFeed,
        ServiceMetrics,
        ReadModelProjection,
        ...ROLLOUT_PROVIDERS,
        ...DEVICE_CREDENTIAL_PROVIDERS,
        ...commandHandlers,
        ...queryHandlers,
      ],
      exports: [APP_CONFIG, APP_LOGGER, JobStreams, ServiceMetrics],
    };
  }
}
