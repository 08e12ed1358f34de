import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { EventStreams, retryOnConflict } from '../../event-sourcing/event-streams';
import { clientStream } from '../../shared/domain/stream-names';
import { DeviceCredentialStore } from '../device-credentials/device-credential-store';
import {
  decideClient,
  evolveClientBy,
  foldClient,
  type ClientState,
} from '../domain/client.decider';
import type { ClientCredentialRevoked, ClientEvent } from '../domain/client.events';
import { RevokeDeviceCredential, type RevokedDeviceCredential } from './revoke-credential.command';

@CommandHandler(RevokeDeviceCredential)
export class RevokeDeviceCredentialHandler implements ICommandHandler<
  RevokeDeviceCredential,
  RevokedDeviceCredential
> {
  constructor(
    private readonly streams: EventStreams,
    private readonly credentials: DeviceCredentialStore,
  ) {}

  async execute({ context, clientId }: RevokeDeviceCredential): Promise<RevokedDeviceCredential> {
    const stream = clientStream(context.tenantId, clientId);
    const revoked = await retryOnConflict(async () => {
      const client = await this.streams.load<ClientState, ClientEvent>(stream, foldClient);
      const events = decideClient(
        { type: 'RevokeCredential', data: { at: new Date().toISOString() } },
        client.state,
      );
      await this.streams.append(stream, events, {
        expectedRevision: client.expectedRevision,
        stateAfter: evolveClientBy(client.state, events),
        context,
      });
      return (events[0] as ClientCredentialRevoked).data;
    });
    await this.credentials.forget(revoked.credentialId);
    return { clientId, credentialId: revoked.credentialId, revokedAt: revoked.revokedAt };
  }
}
