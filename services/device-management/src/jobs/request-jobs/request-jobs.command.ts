import type { RequestConfigChange } from '../config/request-config-change/request-config-change.command';
import type { RequestUpdate } from '../update/request-update/request-update.command';

/** Many job requests, each for another client (a rollout's wave). */
export class RequestJobs {
  constructor(readonly requests: ReadonlyArray<RequestUpdate | RequestConfigChange>) {}
}

/** Each request's answer, in order: its job, or why it was refused. */
export type RequestJobsResult = Array<{ jobId: string } | Error>;
