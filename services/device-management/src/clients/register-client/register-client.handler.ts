import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { EventStreams, retryOnConflict } from '../../event-sourcing/event-streams';
import { clientStream } from '../../shared/domain/stream-names';
import {
  decideClient,
  evolveClientBy,
  foldClient,
  type ClientState,
} from '../domain/client.decider';
import type { ClientEvent } from '../domain/client.events';
import { RegisterClient } from './register-client.command';

@CommandHandler(RegisterClient)
export class RegisterClientHandler implements ICommandHandler<
  RegisterClient,
  { clientId: string }
> {
  constructor(private readonly streams: EventStreams) {}

  /**
   * A concurrent registration of the same id loses the append, reloads and gets 409. Loaded to
   * append, so that the registered client's state stays in this process for its first job.
   */
  execute({ context, clientId, labels, version }: RegisterClient): Promise<{ clientId: string }> {
    const stream = clientStream(context.tenantId, clientId);
    return retryOnConflict(async () => {
      const client = await this.streams.loadToAppend<ClientState, ClientEvent>(stream, foldClient);
      const events = decideClient(
        {
          type: 'RegisterClient',
          data: {
            tenantId: context.tenantId,
            clientId,
            labels,
            ...(version ? { version } : {}),
            registeredAt: new Date().toISOString(),
          },
        },
        client.state,
      );
      await this.streams.append(stream, events, {
        expectedRevision: client.expectedRevision,
        stateAfter: evolveClientBy(client.state, events),
        context,
      });
      return { clientId };
    });
  }
}
