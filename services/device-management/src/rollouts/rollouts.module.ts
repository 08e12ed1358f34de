import { Module } from '@nestjs/common';
import { GetRolloutHandler } from './get-rollout/get-rollout.handler';
import { GetRolloutHttpController } from './get-rollout/get-rollout.http.controller';
import { ListRolloutClientsHandler } from './list-rollout-clients/list-rollout-clients.handler';
import { ListRolloutClientsHttpController } from './list-rollout-clients/list-rollout-clients.http.controller';
import { ListRolloutsHandler } from './list-rollouts/list-rollouts.handler';
import { ListRolloutsHttpController } from './list-rollouts/list-rollouts.http.controller';
import { RolloutDriver } from './rollout-driver';
import { RolloutEventsModule } from './rollout-events/rollout-events.module';
import { ReadModelsModule } from '../read-models/read-models.module';
import { ReleasesModule } from '../releases/releases.module';
import { RolloutStreams } from './rollout-streams';
import { RolloutChangesHttpController } from './rollout-changes/rollout-changes.http.controller';
import { SteerRolloutHandler } from './steer-rollout/steer-rollout.handler';
import { RollBackRolloutHandler } from './roll-back-rollout/roll-back-rollout.handler';
import { SteerRolloutHttpController } from './steer-rollout/steer-rollout.http.controller';
import { StartRolloutHandler } from './start-rollout/start-rollout.handler';
import { StartRolloutHttpController } from './start-rollout/start-rollout.http.controller';

/** Rollouts: their use cases, and the driver (a worker) that opens their update jobs. */
@Module({
  imports: [RolloutEventsModule, ReadModelsModule, ReleasesModule],
  controllers: [
    // Before GET /rollouts/{id}, which would take `changes` for an id.
    RolloutChangesHttpController,
    StartRolloutHttpController,
    ListRolloutsHttpController,
    GetRolloutHttpController,
    ListRolloutClientsHttpController,
    SteerRolloutHttpController,
  ],
  providers: [
    RolloutStreams,
    RolloutDriver,
    StartRolloutHandler,
    SteerRolloutHandler,
    RollBackRolloutHandler,
    GetRolloutHandler,
    ListRolloutsHandler,
    ListRolloutClientsHandler,
  ],
  exports: [RolloutDriver],
})
export class RolloutsModule {}
