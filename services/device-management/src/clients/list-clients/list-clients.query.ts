export class ListClients {
  readonly tenantId: string;
  /** Every label must match. */
  readonly labels: Record<string, string>;
  readonly status?: string;
  /** Reported workload version. */
  readonly version?: string;
  readonly limit: number;
  readonly cursor?: string;

  constructor(props: ListClients) {
    Object.assign(this, props);
  }
}
