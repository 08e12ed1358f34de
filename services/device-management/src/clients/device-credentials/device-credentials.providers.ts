import { IssueDeviceCredentialHandler } from '../issue-credential/issue-credential.handler';
import { IssueDeviceCredentialHttpController } from '../issue-credential/issue-credential.http.controller';
import { RevokeDeviceCredentialHandler } from '../revoke-credential/revoke-credential.handler';
import { RevokeDeviceCredentialHttpController } from '../revoke-credential/revoke-credential.http.controller';
import { DeviceCredentialStore } from './device-credential-store';

/** Device credentials: issue (and rotate), revoke, and the store the embedded broker asks. */
export const DEVICE_CREDENTIAL_CONTROLLERS = [
  IssueDeviceCredentialHttpController,
  RevokeDeviceCredentialHttpController,
];
export const DEVICE_CREDENTIAL_PROVIDERS = [
  DeviceCredentialStore,
  IssueDeviceCredentialHandler,
  RevokeDeviceCredentialHandler,
];
