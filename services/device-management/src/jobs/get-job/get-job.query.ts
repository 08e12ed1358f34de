export class GetJob {
  constructor(
    readonly tenantId: string,
    readonly jobId: string,
    /** Rebuild the job from the events recorded up to this instant. */
    readonly asOf?: Date,
  ) {}
}
