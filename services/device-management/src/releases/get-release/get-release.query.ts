export class GetRelease {
  constructor(
    readonly tenantId: string,
    readonly releaseId: string,
  ) {}
}
