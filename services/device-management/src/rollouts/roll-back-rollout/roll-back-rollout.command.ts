import type { CommandContext } from '../../shared/domain/domain-event';
import type { SteerRolloutResult } from '../steer-rollout/steer-rollout.command';

/**
 * Finish a halted or paused update rollout by returning its failed clients to the release each
 * ran before its job. Answers like the other steering commands.
 */
export class RollBackRollout {
  readonly context: CommandContext;
  readonly rolloutId: string;
  /** Why, recorded with the event. */
  readonly reason?: string;

  constructor(props: RollBackRollout) {
    Object.assign(this, props);
  }
}

export type RollBackRolloutResult = SteerRolloutResult;
