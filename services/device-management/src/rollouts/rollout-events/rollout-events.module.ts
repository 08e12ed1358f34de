import { Module } from '@nestjs/common';
import { GetRolloutEventsHandler } from './rollout-events.handler';
import { GetRolloutEventsHttpController } from './rollout-events.http.controller';

/** GET /rollouts/{id}/events: a use case of its own, registered by RolloutsModule. */
@Module({
  controllers: [GetRolloutEventsHttpController],
  providers: [GetRolloutEventsHandler],
})
export class RolloutEventsModule {}
