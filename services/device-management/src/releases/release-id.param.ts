import { JobIdParam } from '../http/params';

/** `:id` of a release: a UUID, judged like a job id. */
export class ReleaseIdParam extends JobIdParam {}
