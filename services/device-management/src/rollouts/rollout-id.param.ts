import { JobIdParam } from '../http/params';

/** `:id` of a rollout: a UUID, judged like a job id. */
export class RolloutIdParam extends JobIdParam {}
