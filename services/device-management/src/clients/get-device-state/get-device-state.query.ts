export class GetDeviceState {
  constructor(
    readonly tenantId: string,
    readonly clientId: string,
  ) {}
}
