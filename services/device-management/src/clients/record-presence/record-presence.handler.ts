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
import { RecordClientPresence, type RecordClientPresenceResult } from './record-presence.command';

@CommandHandler(RecordClientPresence)
export class RecordClientPresenceHandler implements ICommandHandler<
  RecordClientPresence,
  RecordClientPresenceResult
> {
  constructor(private readonly streams: EventStreams) {}

  execute(command: RecordClientPresence): Promise<RecordClientPresenceResult> {
    const stream = clientStream(command.tenantId, command.clientId);
    return retryOnConflict(async () => {
      const client = await this.streams.load<ClientState, ClientEvent>(stream, foldClient);
      if (!client.state) return { outcome: 'unknown_client' };
      const events = decideClient(
        {
          type: 'RecordPresence',
          data: {
            status: command.status,
            at: command.at.toISOString(),
            ...(command.receivedAt && { receivedAt: command.receivedAt.toISOString() }),
            ...(command.agentVersion ? { agentVersion: command.agentVersion } : {}),
            ...(command.sessionResumed !== undefined && {
              sessionResumed: command.sessionResumed,
            }),
          },
        },
        client.state,
      );
      if (events.length === 0) return { outcome: 'unchanged' };
      await this.streams.append(stream, events, {
        expectedRevision: client.expectedRevision,
        stateAfter: evolveClientBy(client.state, events),
        context: {
          actor: `device:${command.clientId}`,
          tenantId: command.tenantId,
          correlationId: `presence:${command.clientId}`,
        },
      });
      return { outcome: 'recorded' };
    });
  }
}
