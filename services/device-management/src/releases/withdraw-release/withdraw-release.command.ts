import type { CommandContext } from '../../shared/domain/domain-event';

export class WithdrawRelease {
  readonly context: CommandContext;
  readonly releaseId: string;
  readonly reason: string;

  constructor(props: WithdrawRelease) {
    Object.assign(this, props);
  }
}
