import type { ReleaseTarget } from '../../../releases/domain/release.decider';
import type { CommandContext } from '../../../shared/domain/domain-event';

export class RequestUpdate {
  readonly context: CommandContext;
  readonly clientId: string;
  readonly targetVersion: string;
  readonly image: string;
  readonly imageDigest?: string;
  /**
   * By release: the release whose image, digest and version these are, and what the client
   * must meet (its constraints, no downgrade unless allowed), checked when the job opens.
   */
  readonly release?: ReleaseTarget;
  /**
   * A roll-back: the image the client ran when its previous release was chosen as the target.
   * The job does not open when the client runs another by then (release_changed).
   */
  readonly rollingBackFrom?: string;

  constructor(props: RequestUpdate) {
    Object.assign(this, props);
  }
}

export interface RequestUpdateResult {
  jobId: string;
}
