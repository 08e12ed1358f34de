import type { CommandContext } from '../../shared/domain/domain-event';

export class StartRollout {
  readonly context: CommandContext;
  readonly clientIds: string[];
  readonly targetVersion: string;
  readonly image: string;
  readonly imageDigest?: string;
  readonly batchSize: number;
  readonly maxFailures: number;

  constructor(props: StartRollout) {
    Object.assign(this, props);
  }
}

export interface StartRolloutResult {
  rolloutId: string;
}
