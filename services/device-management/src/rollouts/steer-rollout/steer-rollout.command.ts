import type { CommandContext } from '../../shared/domain/domain-event';
import type { RolloutStatus } from '../domain/rollout.decider';

/** What an admin can do to a rollout on its way. */
export const ROLLOUT_STEERS = ['cancel', 'pause', 'resume', 'approve'] as const;
export type RolloutSteer = (typeof ROLLOUT_STEERS)[number];

export class SteerRollout {
  readonly context: CommandContext;
  readonly rolloutId: string;
  readonly steer: RolloutSteer;
  /** Why, recorded with the event (an approval's comment). */
  readonly reason?: string;

  constructor(props: SteerRollout) {
    Object.assign(this, props);
  }
}

export interface SteerRolloutResult {
  rolloutId: string;
  /** The rollout's status after the command. */
  status: RolloutStatus;
}
