import { Module } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { EventStore } from '@opcfleet/event-store';
import type { Logger } from 'pino';
import { APP_CONFIG, type AppConfig } from '../config/app.config';
import { EVENT_STORE } from '../event-sourcing/event-store.token';
import { LocalCommits } from '../event-sourcing/local-commits';
import { MESSAGING_CONFIG, type MessagingConfig } from '../messaging/messaging.config';
import { MessagingMetrics } from '../messaging/messaging.metrics';
import { MqttMessageBus } from '../messaging/mqtt-message-bus';
import { APP_LOGGER } from '../observability/app-logger';
import { ReadModelsModule } from '../read-models/read-models.module';
import { ReleasesModule } from '../releases/releases.module';
import { GetClientHistoryHandler } from './client-history/client-history.handler';
import { GetClientHistoryHttpController } from './client-history/client-history.http.controller';
import { CancelJobHandler } from './cancel-job/cancel-job.handler';
import { CancelJobHttpController } from './cancel-job/cancel-job.http.controller';
import { RequestConfigChangeHandler } from './config/request-config-change/request-config-change.handler';
import { RequestConfigChangeHttpController } from './config/request-config-change/request-config-change.http.controller';
import { CommandDispatcher } from './dispatch/command-dispatcher';
import { RecordCommandDispatchedHandler } from './dispatch/record-command-dispatched.handler';
import { GetJobHandler } from './get-job/get-job.handler';
import { GetJobHttpController } from './get-job/get-job.http.controller';
import { IngestStatusReportHandler } from './ingestion/ingest-status-report.handler';
import { StatusIngestor } from './ingestion/status-ingestor';
import { JobBatchWriter } from './job-batch/job-batch.writer';
import { JobChangesHttpController } from './job-changes/job-changes.http.controller';
import { GetJobEventsHandler } from './job-events/job-events.handler';
import { GetJobEventsHttpController } from './job-events/job-events.http.controller';
import { JobHistory } from './job-history';
import { JobStreams } from './job-streams';
import { ListJobsHandler } from './list-jobs/list-jobs.handler';
import { ListJobsHttpController } from './list-jobs/list-jobs.http.controller';
import { JobTimeoutWatcher } from './timeouts/job-timeout-watcher';
import { TimeOutJobHandler } from './timeouts/time-out-job.handler';
import { RequestUpdateHandler } from './update/request-update/request-update.handler';
import { RequestJobsHandler } from './request-jobs/request-jobs.handler';
import { RequestUpdateByReleaseHandler } from './update/request-update/request-update-by-release.handler';
import { RequestUpdateHttpController } from './update/request-update/request-update.http.controller';
import { RollBackClientHandler } from './update/roll-back-client/roll-back-client.handler';
import { RollBackClientHttpController } from './update/roll-back-client/roll-back-client.http.controller';
import { TRACING, type Tracing } from '../shared/tracing';

/**
 * Jobs of every kind: their use cases, the one write path of job facts, and three workers:
 * the dispatcher (event store -> broker) and the status ingestor (broker -> commands), built
 * only when a broker is configured, and the timeout watcher, which runs either way (without a
 * broker it times jobs out and nudges nobody).
 */
@Module({
  imports: [ReadModelsModule, ReleasesModule],
  controllers: [
    GetClientHistoryHttpController,
    // Before GET /jobs/:id, which would otherwise take /jobs/changes.
    JobChangesHttpController,
    RequestUpdateHttpController,
    RollBackClientHttpController,
    RequestConfigChangeHttpController,
    ListJobsHttpController,
    GetJobHttpController,
    GetJobEventsHttpController,
    CancelJobHttpController,
  ],
  providers: [
    JobStreams,
    JobBatchWriter,
    JobHistory,
    GetClientHistoryHandler,
    RequestUpdateHandler,
    RequestConfigChangeHandler,
    RequestJobsHandler,
    RequestUpdateByReleaseHandler,
    RollBackClientHandler,
    CancelJobHandler,
    RecordCommandDispatchedHandler,
    IngestStatusReportHandler,
    TimeOutJobHandler,
    GetJobHandler,
    ListJobsHandler,
    GetJobEventsHandler,
    {
      provide: CommandDispatcher,
      inject: [
        EVENT_STORE,
        MqttMessageBus,
        MESSAGING_CONFIG,
        CommandBus,
        MessagingMetrics,
        APP_LOGGER,
        LocalCommits,
        TRACING,
      ],
      useFactory: (
        store: EventStore,
        bus: MqttMessageBus | undefined,
        config: MessagingConfig | undefined,
        commands: CommandBus,
        metrics: MessagingMetrics,
        logger: Logger,
        localCommits: LocalCommits,
        tracing: Tracing,
      ): CommandDispatcher | undefined =>
        bus &&
        config &&
        new CommandDispatcher(
          store,
          bus,
          commands,
          metrics,
          logger.child({ component: 'dispatch' }),
          {
            commandExpiryMs: config.commandExpiryMs,
            maxBackoffMs: config.dispatchMaxBackoffMs,
            // The store keeps the checkpoint itself: recording can be pipelined.
            checkpointer: store.checkpointer(),
            localCommits,
            tracing,
          },
        ),
    },
    {
      provide: StatusIngestor,
      inject: [MqttMessageBus, MESSAGING_CONFIG, CommandBus, MessagingMetrics, APP_LOGGER, TRACING],
      useFactory: (
        bus: MqttMessageBus | undefined,
        config: MessagingConfig | undefined,
        commands: CommandBus,
        metrics: MessagingMetrics,
        logger: Logger,
        tracing: Tracing,
      ): StatusIngestor | undefined =>
        bus &&
        config &&
        new StatusIngestor(bus, commands, metrics, logger.child({ component: 'status-ingest' }), {
          concurrency: config.ingestConcurrency,
          buffer: config.ingestBuffer,
          shareGroup: config.sharedGroup,
          maxBackoffMs: config.dispatchMaxBackoffMs,
          tracing,
        }),
    },
    {
      provide: JobTimeoutWatcher,
      inject: [EVENT_STORE, CommandBus, APP_CONFIG, APP_LOGGER, CommandDispatcher, StatusIngestor],
      useFactory: (
        store: EventStore,
        commands: CommandBus,
        config: AppConfig,
        logger: Logger,
        dispatcher: CommandDispatcher | undefined,
        ingestor: StatusIngestor | undefined,
      ) =>
        new JobTimeoutWatcher(
          store,
          commands,
          logger.child({ component: 'job-timeouts' }),
          config.jobTimeouts,
          { nudger: dispatcher, backlog: ingestor },
        ),
    },
  ],
  exports: [JobStreams, JobHistory, CommandDispatcher, StatusIngestor, JobTimeoutWatcher],
})
export class JobsModule {}
