import type { CommandContext } from '../../shared/domain/domain-event';

export class RegisterClient {
  readonly context: CommandContext;
  readonly clientId: string;
  readonly labels: Record<string, string>;
  /** Workload version the client runs today. */
  readonly version?: string;

  constructor(props: RegisterClient) {
    Object.assign(this, props);
  }
}
