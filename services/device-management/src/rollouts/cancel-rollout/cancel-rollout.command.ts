import type { CommandContext } from '../../shared/domain/domain-event';

export class CancelRollout {
  readonly context: CommandContext;
  readonly rolloutId: string;
  readonly reason?: string;

  constructor(props: CancelRollout) {
    Object.assign(this, props);
  }
}

export interface CancelRolloutResult {
  rolloutId: string;
  status: 'Cancelled';
}
