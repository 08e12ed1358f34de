import type { CommandContext } from '../../shared/domain/domain-event';

/** Issues a client's device credential, replacing (rotating) the one it has, if any. */
export class IssueDeviceCredential {
  readonly context: CommandContext;
  readonly clientId: string;

  constructor(props: IssueDeviceCredential) {
    Object.assign(this, props);
  }
}

export interface IssuedDeviceCredential {
  clientId: string;
  credentialId: string;
  username: string;
  password: string;
  issuedAt: string;
  /** The credential this one rotated out: it stopped working, its connections were closed. */
  replaces?: string;
}
