import type { CommandContext } from '../../shared/domain/domain-event';

/** Revokes a client's device credential: it no longer connects, its connections are closed. */
export class RevokeDeviceCredential {
  readonly context: CommandContext;
  readonly clientId: string;

  constructor(props: RevokeDeviceCredential) {
    Object.assign(this, props);
  }
}

export interface RevokedDeviceCredential {
  clientId: string;
  credentialId: string;
  revokedAt: string;
}
