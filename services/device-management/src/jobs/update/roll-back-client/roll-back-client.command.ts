import type { CommandContext } from '../../../shared/domain/domain-event';

/**
 * Update a client back to the release it ran before its last succeeded update (the agent
 * still holds that image). Answers as RequestUpdate does.
 */
export class RollBackClient {
  readonly context: CommandContext;
  readonly clientId: string;

  constructor(props: RollBackClient) {
    Object.assign(this, props);
  }
}
