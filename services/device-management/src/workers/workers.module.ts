import { Module } from '@nestjs/common';
import { AlertsModule } from '../alerts/alerts.module';
import { AlertWorker } from '../alerts/alert-worker';
import { CommandDispatcher } from '../jobs/dispatch/command-dispatcher';
import { StatusIngestor } from '../jobs/ingestion/status-ingestor';
import { JobsModule } from '../jobs/jobs.module';
import { JobTimeoutWatcher } from '../jobs/timeouts/job-timeout-watcher';
import { MqttMessageBus } from '../messaging/mqtt-message-bus';
import { ReadModelProjection } from '../read-models/read-model.projection';
import { ReadModelsModule } from '../read-models/read-models.module';
import { RolloutDriver } from '../rollouts/rollout-driver';
import { RolloutsModule } from '../rollouts/rollouts.module';
import type { Worker } from '../shared/worker';
import { WorkerLifecycle, WORKERS } from './worker-lifecycle';

/**
 * Every worker of the service, in the order they start (they stop in reverse):
 *
 * 1. the read-model projection: the API's reads follow the store from the start;
 * 2. the status ingestor: its subscriptions are registered before the broker connection
 *    opens, so the first connect subscribes; it stops after the connection closes, writing
 *    the reports it holds;
 * 3. the broker connection;
 * 4. the dispatcher, which publishes on it;
 * 5. the timeout watcher, which nudges through the dispatcher;
 * 6. the rollout driver, which opens jobs;
 * 7. the alerts: they enqueue deliveries of job and rollout events, and send them.
 *
 * Without a broker, 2 to 4 do not exist and the others run all the same.
 */
@Module({
  imports: [ReadModelsModule, JobsModule, RolloutsModule, AlertsModule],
  providers: [
    {
      provide: WORKERS,
      inject: [
        ReadModelProjection,
        StatusIngestor,
        MqttMessageBus,
        CommandDispatcher,
        JobTimeoutWatcher,
        RolloutDriver,
        AlertWorker,
      ],
      useFactory: (...workers: Array<Worker | undefined>): Worker[] =>
        workers.filter((worker): worker is Worker => worker !== undefined),
    },
    WorkerLifecycle,
  ],
})
export class WorkersModule {}
