import type { ClientView, JobView } from '../api/types';

/** The words the console uses for a client's status (the API's enum is for machines). */
export function clientStatusText(client: Pick<ClientView, 'status'>): string {
  switch (client.status) {
    case 'Updating':
      return 'Updating...';
    case 'UpdateFailed':
      return 'Update failed';
    default:
      return client.status;
  }
}

/** "2.0.0 running", and where the desired version differs, what it is heading for. */
export function versionText(client: Pick<ClientView, 'version'>): string {
  const { desired, reported } = client.version;
  if (!reported) return desired ? `${desired} desired, nothing reported yet` : 'unknown';
  return desired && desired !== reported
    ? `${reported} running (${desired} desired)`
    : `${reported} running`;
}

export function configText(client: Pick<ClientView, 'config'>): string {
  const { desired, applied } = client.config;
  if (desired === 0 && applied === undefined) return 'none';
  if (applied === desired) return `v${applied} applied`;
  return `v${desired} requested${applied !== undefined ? `, v${applied} applied` : ''}`;
}

/** One line about a job: its status, phase, progress, and why it failed. */
export function jobSummary(job: JobView): string {
  const parts = [job.status === 'InProgress' && job.phase ? `${job.phase}` : job.status];
  if (job.status === 'InProgress' && job.progress?.percent !== undefined) {
    parts.push(`${Math.round(job.progress.percent)}%`);
  }
  if (job.rollback) parts.push(`rolled back: ${job.rollback.reason}`);
  if (job.failure) {
    parts.push(
      `failed${job.phase ? ` in ${job.phase}` : ''}: ${job.failure.reason}${job.failure.code ? ` (${job.failure.code})` : ''}`,
    );
  }
  return parts.join(' · ');
}

/** Labels as `key=value` text, the form the API's `label` filter takes. */
export const labelsText = (labels: Record<string, string>) =>
  Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(', ');
