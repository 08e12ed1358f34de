import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { retryOnConflict } from '../../event-sourcing/event-streams';
import { decideRollout } from '../domain/rollout.decider';
import { RolloutStreams } from '../rollout-streams';
import { CancelRollout, type CancelRolloutResult } from './cancel-rollout.command';

/** No new waves after this; the jobs in flight run to their end (cancel them one by one). */
@CommandHandler(CancelRollout)
export class CancelRolloutHandler implements ICommandHandler<CancelRollout, CancelRolloutResult> {
  constructor(private readonly rollouts: RolloutStreams) {}

  execute({ context, rolloutId, reason }: CancelRollout): Promise<CancelRolloutResult> {
    return retryOnConflict(async () => {
      const { state, expectedRevision } = await this.rollouts.loadOfTenant(
        context.tenantId,
        rolloutId,
      );
      const events = decideRollout(
        {
          type: 'CancelRollout',
          data: { at: new Date().toISOString(), ...(reason ? { reason } : {}) },
        },
        state,
      );
      await this.rollouts.append(state, events, {
        expectedRevision,
        context,
      });
      return { rolloutId, status: 'Cancelled' as const };
    });
  }
}
