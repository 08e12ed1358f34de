export class GetRollout {
  constructor(
    readonly tenantId: string,
    readonly rolloutId: string,
  ) {}
}
