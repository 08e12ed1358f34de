import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { EventStreams } from '../../event-sourcing/event-streams';
import { rolloutStream } from '../../shared/domain/stream-names';
import { decideRollout } from '../domain/rollout.decider';
import { StartRollout, type StartRolloutResult } from './start-rollout.command';

/**
 * Opens the rollout stream with RolloutStarted. Nothing else: the rollout driver sees the
 * event through its subscription and requests the first wave.
 */
@CommandHandler(StartRollout)
export class StartRolloutHandler implements ICommandHandler<StartRollout, StartRolloutResult> {
  constructor(private readonly streams: EventStreams) {}

  async execute(command: StartRollout): Promise<StartRolloutResult> {
    const { context, clientIds, targetVersion, image, imageDigest, batchSize, maxFailures } =
      command;
    const rolloutId = randomUUID();
    const events = decideRollout(
      {
        type: 'StartRollout',
        data: {
          rolloutId,
          tenantId: context.tenantId,
          image,
          targetVersion,
          ...(imageDigest ? { imageDigest } : {}),
          targets: clientIds,
          batchSize,
          maxFailures,
          startedAt: new Date().toISOString(),
        },
      },
      null,
    );
    await this.streams.append(rolloutStream(rolloutId), events, {
      expectedRevision: 'no_stream',
      context,
    });
    return { rolloutId };
  }
}
