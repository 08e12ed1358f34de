export class ListRollouts {
  constructor(readonly tenantId: string) {}
}
