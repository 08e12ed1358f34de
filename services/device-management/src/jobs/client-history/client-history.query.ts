export class GetClientHistory {
  constructor(
    readonly tenantId: string,
    readonly clientId: string,
  ) {}
}
