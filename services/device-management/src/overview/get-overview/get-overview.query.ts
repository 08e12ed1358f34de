/** What an operator opens first: the tenant's fleet and jobs in numbers, failures of the last day. */
export class GetOverview {
  constructor(
    readonly tenantId: string,
    /** Failures since this instant are listed. */
    readonly failuresSince: Date,
  ) {}
}
