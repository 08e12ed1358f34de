export class GetClient {
  constructor(
    readonly tenantId: string,
    readonly clientId: string,
  ) {}
}
