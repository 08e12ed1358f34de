import type { CommandContext } from '../../../shared/domain/domain-event';

/** Update a client to a release of the catalogue: its image@digest and version. */
export class RequestUpdateByRelease {
  readonly context: CommandContext;
  readonly clientId: string;
  readonly releaseId: string;
  /** Install it even over a higher version the client reports. */
  readonly allowDowngrade?: boolean;

  constructor(props: RequestUpdateByRelease) {
    Object.assign(this, props);
  }
}
