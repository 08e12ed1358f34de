import { CommandBus, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { foldClient } from '../../../clients/domain/client.decider';
import type { ClientEvent } from '../../../clients/domain/client.events';
import { EventStreams, retryOnConflict } from '../../../event-sourcing/event-streams';
import type { CommandContext } from '../../../shared/domain/domain-event';
import { DomainError, notFound } from '../../../shared/domain/domain-error';
import { clientStream } from '../../../shared/domain/stream-names';
import { RequestUpdate, type RequestUpdateResult } from '../request-update/request-update.command';
import { RollBackClient } from './roll-back-client.command';

/**
 * Reads the release the client ran before its last succeeded update and requests an update to
 * it: one update at a time as ever (update_in_flight); no_previous_release when no earlier
 * update through opcfleet recorded an image to go back to.
 */
@CommandHandler(RollBackClient)
export class RollBackClientHandler implements ICommandHandler<RollBackClient, RequestUpdateResult> {
  constructor(
    private readonly streams: EventStreams,
    private readonly commands: CommandBus,
  ) {}

  /** The target is read, then checked again where the job opens: retried when it moved. */
  execute({ context, clientId }: RollBackClient): Promise<RequestUpdateResult> {
    return retryOnConflict(async () => {
      try {
        return await this.requestPrevious(context, clientId);
      } catch (error) {
        if (error instanceof DomainError && error.code === 'release_changed') {
          return retryOnConflict.again();
        }
        throw error;
      }
    });
  }

  private async requestPrevious(
    context: CommandContext,
    clientId: string,
  ): Promise<RequestUpdateResult> {
    const { state: client } = await this.streams.load(
      clientStream(context.tenantId, clientId),
      (events: ClientEvent[]) => foldClient(events),
    );
    if (!client) throw notFound('client', clientId);
    const previous = client.previous;
    if (!previous?.image) {
      throw new DomainError(
        'no_previous_release',
        `client ${clientId} has no earlier release to go back to: none of its updates through opcfleet replaced one whose image is known`,
        { clientId, ...(client.running ? { running: client.running.version } : {}) },
      );
    }
    return this.commands.execute<RequestUpdate, RequestUpdateResult>(
      new RequestUpdate({
        context,
        clientId,
        targetVersion: previous.version,
        image: previous.image,
        rollingBackFrom: client.running?.image ?? '',
      }),
    );
  }
}
