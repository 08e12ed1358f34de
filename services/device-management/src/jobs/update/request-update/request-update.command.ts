import type { CommandContext } from '../../../shared/domain/domain-event';

export class RequestUpdate {
  readonly context: CommandContext;
  readonly clientId: string;
  readonly targetVersion: string;
  readonly image: string;
  readonly imageDigest?: string;

  constructor(props: RequestUpdate) {
    Object.assign(this, props);
  }
}

export interface RequestUpdateResult {
  jobId: string;
}
