import type { JobKind } from './domain-event';

/**
 * Stream names of the service. One stream per job (its whole history) and one per client (the
 * invariants that span jobs: one update in flight, increasing config versions).
 */
export const STREAM_PREFIX = {
  updateJob: 'update-job-',
  configJob: 'config-job-',
  client: 'client-',
  rollout: 'rollout-',
} as const;

export const updateJobStream = (jobId: string) => `${STREAM_PREFIX.updateJob}${jobId}`;
export const configJobStream = (jobId: string) => `${STREAM_PREFIX.configJob}${jobId}`;
/** One stream per rollout: its targets, the jobs it opened and how each ended. */
export const rolloutStream = (rolloutId: string) => `${STREAM_PREFIX.rollout}${rolloutId}`;
export const jobStream = (kind: JobKind, jobId: string) =>
  kind === 'update' ? updateJobStream(jobId) : configJobStream(jobId);

/** Tenant and client ids never contain `/`; `-` may appear in both, so never parse this back. */
export const clientStream = (tenantId: string, clientId: string) =>
  `${STREAM_PREFIX.client}${tenantId}-${clientId}`;

/** Kind of job a stream holds, or undefined for a client stream. */
export function jobKindOfStream(streamName: string): JobKind | undefined {
  if (streamName.startsWith(STREAM_PREFIX.updateJob)) return 'update';
  if (streamName.startsWith(STREAM_PREFIX.configJob)) return 'config';
  return undefined;
}
