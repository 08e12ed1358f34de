import type { Principal } from '../../auth/principal';
import type { CommandContext } from '../../shared/domain/domain-event';

export class CancelJob {
  readonly context: CommandContext;
  /** Cancelling an update needs `admin`, a config change `admin` or `operator`. */
  readonly roles: Principal['roles'];
  readonly jobId: string;
  readonly reason?: string;

  constructor(props: CancelJob) {
    Object.assign(this, props);
  }
}
