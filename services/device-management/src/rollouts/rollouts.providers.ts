import { CancelRolloutHandler } from './cancel-rollout/cancel-rollout.handler';
import { CancelRolloutHttpController } from './cancel-rollout/cancel-rollout.http.controller';
import { GetRolloutHandler } from './get-rollout/get-rollout.handler';
import { GetRolloutHttpController } from './get-rollout/get-rollout.http.controller';
import { ListRolloutsHandler } from './list-rollouts/list-rollouts.handler';
import { ListRolloutsHttpController } from './list-rollouts/list-rollouts.http.controller';
import { RolloutDriver } from './rollout-driver';
import { RolloutStreams } from './rollout-streams';
import { StartRolloutHandler } from './start-rollout/start-rollout.handler';
import { StartRolloutHttpController } from './start-rollout/start-rollout.http.controller';

/** What AppModule registers for rollouts. */
export const ROLLOUT_CONTROLLERS = [
  StartRolloutHttpController,
  ListRolloutsHttpController,
  GetRolloutHttpController,
  CancelRolloutHttpController,
];
export const ROLLOUT_HANDLERS = {
  commands: [StartRolloutHandler, CancelRolloutHandler],
  queries: [GetRolloutHandler, ListRolloutsHandler],
};
export const ROLLOUT_PROVIDERS = [RolloutStreams, RolloutDriver];
