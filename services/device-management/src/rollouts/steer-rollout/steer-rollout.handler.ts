import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { retryOnConflict } from '../../event-sourcing/event-streams';
import type { IsoTimestamp } from '../../shared/domain/domain-event';
import { decideRollout, evolveRollout, type RolloutCommand } from '../domain/rollout.decider';
import { RolloutStreams } from '../rollout-streams';
import { SteerRollout, type SteerRolloutResult } from './steer-rollout.command';

/**
 * Cancel, pause, resume or approve a rollout. Jobs already in flight run to their end whatever
 * the rollout does (cancel them one by one); who steered is the events' actor.
 */
@CommandHandler(SteerRollout)
export class SteerRolloutHandler implements ICommandHandler<SteerRollout, SteerRolloutResult> {
  constructor(private readonly rollouts: RolloutStreams) {}

  execute({ context, rolloutId, steer, reason }: SteerRollout): Promise<SteerRolloutResult> {
    return retryOnConflict(async () => {
      const { state, expectedRevision } = await this.rollouts.loadOfTenant(
        context.tenantId,
        rolloutId,
      );
      const command = commandOf(steer, new Date().toISOString(), context.actor, reason);
      const events = decideRollout(command, state);
      await this.rollouts.append(state, events, { expectedRevision, context });
      return { rolloutId, status: events.reduce(evolveRollout, state)!.status };
    });
  }
}

function commandOf(
  steer: SteerRollout['steer'],
  at: IsoTimestamp,
  actor: string,
  reason: string | undefined,
): RolloutCommand {
  const why = reason ? { reason } : {};
  switch (steer) {
    case 'cancel':
      return { type: 'CancelRollout', data: { at, ...why } };
    case 'pause':
      return { type: 'PauseRollout', data: { at, ...why } };
    case 'resume':
      return { type: 'ResumeRollout', data: { at, ...why } };
    case 'approve':
      return {
        type: 'ApprovePhase',
        data: { at, approvedBy: actor, ...(reason ? { comment: reason } : {}) },
      };
  }
}
