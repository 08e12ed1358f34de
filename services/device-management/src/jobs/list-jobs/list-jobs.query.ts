import type { JobKind } from '../../shared/domain/domain-event';

export class ListJobs {
  readonly tenantId: string;
  readonly clientId?: string;
  readonly kind?: JobKind;
  readonly status?: string;
  readonly limit: number;
  readonly cursor?: string;

  constructor(props: ListJobs) {
    Object.assign(this, props);
  }
}
