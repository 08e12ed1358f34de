export class GetJobEvents {
  constructor(
    readonly tenantId: string,
    readonly jobId: string,
  ) {}
}
