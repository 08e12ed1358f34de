import { Module } from '@nestjs/common';
import { DeviceCredentialStore } from './device-credentials/device-credential-store';
import { RecordDeviceStateHandler } from './device-state/record-device-state.handler';
import { GetClientHandler } from './get-client/get-client.handler';
import { GetDeviceStateHandler } from './get-device-state/get-device-state.handler';
import { GetDeviceStateHttpController } from './get-device-state/get-device-state.http.controller';
import { GetClientHttpController } from './get-client/get-client.http.controller';
import { IssueDeviceCredentialHandler } from './issue-credential/issue-credential.handler';
import { IssueDeviceCredentialHttpController } from './issue-credential/issue-credential.http.controller';
import { ListClientsHandler } from './list-clients/list-clients.handler';
import { ListClientsHttpController } from './list-clients/list-clients.http.controller';
import { RecordClientPresenceHandler } from './record-presence/record-presence.handler';
import { RegisterClientHandler } from './register-client/register-client.handler';
import { RegisterClientHttpController } from './register-client/register-client.http.controller';
import { RevokeDeviceCredentialHandler } from './revoke-credential/revoke-credential.handler';
import { RevokeDeviceCredentialHttpController } from './revoke-credential/revoke-credential.http.controller';

/**
 * Clients: registration, presence, device credentials, what their agents say of themselves,
 * and what the API shows of them.
 */
@Module({
  controllers: [
    RegisterClientHttpController,
    ListClientsHttpController,
    GetClientHttpController,
    GetDeviceStateHttpController,
    IssueDeviceCredentialHttpController,
    RevokeDeviceCredentialHttpController,
  ],
  providers: [
    RegisterClientHandler,
    RecordClientPresenceHandler,
    RecordDeviceStateHandler,
    GetDeviceStateHandler,
    GetClientHandler,
    ListClientsHandler,
    DeviceCredentialStore,
    IssueDeviceCredentialHandler,
    RevokeDeviceCredentialHandler,
  ],
  exports: [DeviceCredentialStore],
})
export class ClientsModule {}
