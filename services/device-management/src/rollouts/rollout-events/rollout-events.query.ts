export class GetRolloutEvents {
  constructor(
    readonly tenantId: string,
    readonly rolloutId: string,
  ) {}
}
