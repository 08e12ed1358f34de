import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { EventStreams, retryOnConflict } from '../../event-sourcing/event-streams';
import { clientStream } from '../../shared/domain/stream-names';
import { DeviceCredentialStore } from '../device-credentials/device-credential-store';
import { newDeviceCredential } from '../device-credentials/new-device-credential';
import {
  decideClient,
  evolveClientBy,
  foldClient,
  type ClientState,
} from '../domain/client.decider';
import type { ClientCredentialIssued, ClientEvent } from '../domain/client.events';
import { IssueDeviceCredential, type IssuedDeviceCredential } from './issue-credential.command';

@CommandHandler(IssueDeviceCredential)
export class IssueDeviceCredentialHandler implements ICommandHandler<
  IssueDeviceCredential,
  IssuedDeviceCredential
> {
  constructor(
    private readonly streams: EventStreams,
    private readonly credentials: DeviceCredentialStore,
  ) {}

  async execute({ context, clientId }: IssueDeviceCredential): Promise<IssuedDeviceCredential> {
    const stream = clientStream(context.tenantId, clientId);
    const credential = await newDeviceCredential({ tenantId: context.tenantId, clientId });
    let kept = false;
    const issued = await retryOnConflict(async () => {
      const client = await this.streams.load<ClientState, ClientEvent>(stream, foldClient);
      const events = decideClient(
        {
          type: 'IssueCredential',
          data: { credentialId: credential.credentialId, at: new Date().toISOString() },
        },
        client.state,
      );
      if (!kept) {
        await this.credentials.keep({
          credentialId: credential.credentialId,
          tenantId: context.tenantId,
          clientId,
          secretHash: credential.secretHash,
        });
        kept = true;
      }
      await this.streams.append(stream, events, {
        expectedRevision: client.expectedRevision,
        stateAfter: evolveClientBy(client.state, events),
        context,
      });
      return (events[0] as ClientCredentialIssued).data;
    });
    if (issued.replaces) await this.credentials.forget(issued.replaces);
    return {
      clientId,
      credentialId: credential.credentialId,
      username: credential.username,
      password: credential.password,
      issuedAt: issued.issuedAt,
      ...(issued.replaces ? { replaces: issued.replaces } : {}),
    };
  }
}
