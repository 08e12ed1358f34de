import type { CommandContext } from '../../../shared/domain/domain-event';

export class RequestConfigChange {
  readonly context: CommandContext;
  readonly clientId: string;
  readonly version: number;
  /** Already valid against the OPC client config schema (checked by the request DTO). */
  readonly settings: Record<string, unknown>;

  constructor(props: RequestConfigChange) {
    Object.assign(this, props);
  }
}
