import type { AppendedStream, ProjectedRow, RecordedEvent } from '@opcfleet/event-store';
import type { Client } from '../clients/domain/client.decider';
import type { JobState } from '../jobs/domain/job-kind';
import type { Release } from '../releases/domain/release.decider';
import type { Rollout } from '../rollouts/domain/rollout.decider';
import { JOB_KIND_DEFINITIONS, jobKind } from '../jobs/job-kinds';
import type { JobKind } from '../shared/domain/domain-event';
import { jobKindOfStream, STREAM_PREFIX } from '../shared/domain/stream-names';
import { toJobDto } from './read-model.dto';
import { READ_MODEL_SCHEMA, type ClientStatus } from './read-model.entities';
import { releaseRow } from './release.rows';
import { rolloutRows } from './rollout.rows';

/**
 * The one mapping from a stream's state to read-model rows: `(state after, revision) -> row`
 * per table (rollouts' in rollout.rows.ts, releases' in release.rows.ts). The inline projection (rows in the commit of an append), the catch-up projection
 * and the rebuild all call `readModelRows`, so the rows cannot drift apart. The store writes
 * them forward only (a row at or past the revision stays), which makes the three paths safe to
 * overlap.
 */

export const CLIENTS_TABLE = `${READ_MODEL_SCHEMA}.clients`;
export const JOBS_TABLE = `${READ_MODEL_SCHEMA}.jobs`;

/** What a row takes from the events that led to the state (when the client was seen). */
type Facts = Pick<RecordedEvent, 'type' | 'data'>;

/** Events that come from a device report: the client was seen when it made them. */
const REPORT_EVENTS = new Set<string>([
  ...JOB_KIND_DEFINITIONS.flatMap(({ reportEvents }) => [
    ...reportEvents.progress,
    ...reportEvents.ending,
  ]),
  'StatusReportIgnored',
  'CancelAcknowledged',
]);

/**
 * The rows of one stream after `events` took it to `revision` in state `stateAfter` (folded by
 * the caller from the stream's first event). Streams without a read model have no rows.
 */
export function readModelRows({
  streamName,
  stateAfter,
  revision,
  events,
}: Pick<AppendedStream, 'streamName' | 'stateAfter' | 'revision'> & {
  events: readonly Facts[];
}): ProjectedRow[] {
  if (!stateAfter) return [];
  const kind = jobKindOfStream(streamName);
  if (kind) return jobRows(kind, stateAfter as JobState, revision, events);
  if (streamName.startsWith(STREAM_PREFIX.client)) {
    return [clientRow(streamName, stateAfter as Client, revision, events)];
  }
  if (streamName.startsWith(STREAM_PREFIX.rollout)) {
    return rolloutRows(streamName, stateAfter as Rollout, revision, events);
  }
  if (streamName.startsWith(STREAM_PREFIX.release)) {
    return [releaseRow(streamName, stateAfter as Release, revision)];
  }
  return [];
}

/** The `jobs` row of a job, and the move of its client's last-seen time by its reports. */
function jobRows(
  kind: JobKind,
  state: JobState,
  revision: number,
  events: readonly Facts[],
): ProjectedRow[] {
  const details = jobKind(kind).details(state);
  const { jobId, tenantId, clientId } = state.request;
  const row: ProjectedRow = {
    table: JOBS_TABLE,
    key: { job_id: jobId },
    revision,
    values: {
      kind,
      tenant_id: tenantId,
      client_id: clientId,
      status: state.status,
      phase: state.phase ?? null,
      target_version: details.targetVersion ?? null,
      image: details.image ?? null,
      release_id: details.releaseId ?? null,
      config_version: details.configVersion ?? null,
      reported_version: details.reportedVersion ?? null,
      failure_reason: state.failure?.reason ?? null,
      failure_code: state.failure?.code ?? null,
      rollback_reason: details.rollback?.reason ?? null,
      requested_at: state.request.requestedAt,
      dispatched_at: state.dispatchedAt ?? null,
      started_at: state.startedAt ?? null,
      finished_at: state.finishedAt ?? null,
      // What the API shows of the job, never the decider's state.
      document: toJobDto(kind, state),
    },
  };
  const seenAt = lastSeenAt(events);
  if (!seenAt) return [row];
  return [
    row,
    {
      op: 'advance',
      table: CLIENTS_TABLE,
      key: { tenant_id: tenantId, client_id: clientId },
      values: { last_seen_at: seenAt },
    },
  ];
}

/** The `clients` row of a client; its last-seen time only moves forward. */
function clientRow(
  streamName: string,
  state: Client,
  revision: number,
  events: readonly Facts[],
): ProjectedRow {
  return {
    table: CLIENTS_TABLE,
    key: { tenant_id: state.tenantId, client_id: state.clientId },
    revision,
    monotonic: ['last_seen_at'],
    values: {
      stream_name: streamName,
      labels: state.labels,
      status: clientStatus(state),
      presence: state.presence ?? null,
      reported_version: state.reportedVersion ?? null,
      desired_version: state.desiredVersion ?? null,
      desired_config_version: state.desiredConfigVersion,
      applied_config_version: state.appliedConfigVersion ?? null,
      update_job_id: state.updateInFlight?.jobId ?? null,
      last_update_outcome: state.lastUpdate?.outcome ?? null,
      last_seen_at: presenceAt(events) ?? null,
      registered_at: state.registeredAt,
      credential_id: state.credential?.credentialId ?? null,
    },
  };
}

export function clientStatus(client: Client): ClientStatus {
  if (client.updateInFlight) return 'Updating';
  const outcome = client.lastUpdate?.outcome;
  if (outcome === 'failed' || outcome === 'rolled_back' || outcome === 'timed_out') {
    return 'UpdateFailed';
  }
  return client.presence === 'offline' ? 'Offline' : 'Online';
}

/**
 * A report event carries the report's seq; a failure or rejection without one was decided by
 * the service, not reported by the device.
 */
const isFromDevice = (event: Facts) =>
  REPORT_EVENTS.has(event.type) && typeof (event.data as { seq?: number }).seq === 'number';

/** When the client was last seen, from the reports among these events; undefined: none. */
function lastSeenAt(events: readonly Facts[]): string | undefined {
  return events
    .filter(isFromDevice)
    .map((event) => (event.data as { at: string }).at)
    .sort()
    .pop();
}

/** When the client last changed presence among these events; undefined: it did not. */
function presenceAt(events: readonly Facts[]): string | undefined {
  return events
    .filter((event) => event.type === 'ClientPresenceChanged')
    .map((event) => (event.data as { at: string }).at)
    .pop();
}
