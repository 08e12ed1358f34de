import type { RecordedEvent } from '@opcfleet/event-store';
import type { SqlQuery } from '@opcfleet/event-store/postgres/checkpoints';
import type { Client, ClientState } from '../clients/domain/client.decider';
import { evolveClient } from '../clients/domain/client.decider';
import type { ClientEvent } from '../clients/domain/client.events';
import {
  evolveConfigJob,
  type ConfigJob,
  type ConfigJobState,
} from '../config-jobs/domain/config-job.decider';
import type { ConfigJobEvent } from '../config-jobs/domain/config-job.events';
import { jobKindOfStream, STREAM_PREFIX } from '../shared/domain/stream-names';
import {
  evolveUpdateJob,
  type UpdateJob,
  type UpdateJobState,
} from '../update-jobs/domain/update-job.decider';
import type { UpdateJobEvent } from '../update-jobs/domain/update-job.events';
import { READ_MODEL_SCHEMA, type ClientStatus } from './read-model.entities';

/** What a projection step changed: the SSE feed and the metrics follow it. */
export type ReadModelChange =
  | { kind: 'job'; jobId: string; tenantId: string; clientId: string; status: string }
  | { kind: 'client'; tenantId: string; clientId: string; status: ClientStatus };

/** Events that come from a device report: the client was seen when it made them. */
const REPORT_EVENTS = new Set([
  'UpdateReceived',
  'UpdatePhaseReported',
  'UpdateSucceeded',
  'UpdateRolledBack',
  'ConfigReceived',
  'ConfigApplied',
  'StatusReportIgnored',
]);

const clients = `${READ_MODEL_SCHEMA}.clients`;
const jobs = `${READ_MODEL_SCHEMA}.jobs`;

/**
 * Projects recorded events into the `clients` and `jobs` tables through one SQL connection,
 * so it runs both inside the append's transaction (read-your-writes) and inside the
 * subscription's transaction that also stores its checkpoint. Each row keeps the revision of
 * its stream it has reached: an event at or below it is skipped, which makes the two paths,
 * replays and rebuilds harmless to combine.
 */
export async function projectEvents(
  query: SqlQuery,
  events: readonly Pick<RecordedEvent, 'streamName' | 'revision' | 'type' | 'data'>[],
): Promise<ReadModelChange[]> {
  const byStream = new Map<string, typeof events>();
  for (const event of events) {
    const list = byStream.get(event.streamName) ?? [];
    byStream.set(event.streamName, [...list, event]);
  }
  const changes: ReadModelChange[] = [];
  for (const [streamName, streamEvents] of byStream) {
    const kind = jobKindOfStream(streamName);
    if (kind) {
      const change = await projectJob(query, streamName, kind, streamEvents);
      if (change) changes.push(change);
    } else if (streamName.startsWith(STREAM_PREFIX.client)) {
      const change = await projectClient(query, streamName, streamEvents);
      if (change) changes.push(change);
    }
  }
  return changes;
}

type Projectable = Pick<RecordedEvent, 'revision' | 'type' | 'data'>;

async function loadRow<State>(
  query: SqlQuery,
  sql: string,
  key: string,
): Promise<{ state: State | null; revision: number }> {
  const rows = (await query(sql, [key])) as
    | { state: State; stream_revision: number }[]
    | { rows: { state: State; stream_revision: number }[] };
  const row = Array.isArray(rows) ? rows[0] : rows.rows[0];
  return row ? { state: row.state, revision: row.stream_revision } : { state: null, revision: -1 };
}

const NO_ROW = { state: null, revision: -1 };

/**
 * Events from the stream's first one fold into the complete state without reading the row:
 * the upsert then only replaces a row that is behind (WHERE stream_revision < ...). This saves
 * a round trip when a job opens.
 */
const startsStream = (events: readonly Projectable[]) => events[0]?.revision === 0;

/**
 * The events after the row's revision, if they continue it without a gap. A gap happens only
 * when an inline projection runs ahead of a rebuild: it then leaves the row to the
 * subscription, which brings every event in order.
 */
function freshEvents(events: readonly Projectable[], revision: number): Projectable[] | undefined {
  const fresh = events.filter((event) => event.revision > revision);
  return fresh.length > 0 && fresh[0].revision === revision + 1 ? fresh : undefined;
}

async function projectJob(
  query: SqlQuery,
  streamName: string,
  kind: 'update' | 'config',
  events: readonly Projectable[],
): Promise<ReadModelChange | undefined> {
  const jobId = streamName.slice(
    (kind === 'update' ? STREAM_PREFIX.updateJob : STREAM_PREFIX.configJob).length,
  );
  const current = startsStream(events)
    ? NO_ROW
    : await loadRow<UpdateJob | ConfigJob>(
        query,
        `SELECT state, stream_revision FROM ${jobs} WHERE job_id = $1 FOR UPDATE`,
        jobId,
      );
  const fresh = freshEvents(events, current.revision);
  if (!fresh) return undefined;
  const state =
    kind === 'update'
      ? fresh.reduce<UpdateJobState>(
          (s, e) => evolveUpdateJob(s, e as unknown as UpdateJobEvent),
          current.state as UpdateJobState,
        )
      : fresh.reduce<ConfigJobState>(
          (s, e) => evolveConfigJob(s, e as unknown as ConfigJobEvent),
          current.state as ConfigJobState,
        );
  if (!state) return undefined;
  const last = fresh[fresh.length - 1];
  const update = kind === 'update' ? (state as UpdateJob) : undefined;
  const config = kind === 'config' ? (state as ConfigJob) : undefined;
  const { tenantId, clientId, requestedAt } = state.request;
  await query(
    `INSERT INTO ${jobs} (job_id, kind, tenant_id, client_id, status, phase, target_version, image,
       config_version, reported_version, failure_reason, failure_code, rollback_reason,
       requested_at, dispatched_at, started_at, finished_at, stream_revision, state)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19)
     ON CONFLICT (job_id) DO UPDATE SET status = EXCLUDED.status, phase = EXCLUDED.phase,
       reported_version = EXCLUDED.reported_version, failure_reason = EXCLUDED.failure_reason,
       failure_code = EXCLUDED.failure_code, rollback_reason = EXCLUDED.rollback_reason,
       dispatched_at = EXCLUDED.dispatched_at, started_at = EXCLUDED.started_at,
       finished_at = EXCLUDED.finished_at,
       stream_revision = EXCLUDED.stream_revision, state = EXCLUDED.state
     WHERE ${jobs}.stream_revision < EXCLUDED.stream_revision`,
    [
      jobId,
      kind,
      tenantId,
      clientId,
      state.status,
      state.phase ?? null,
      update?.request.targetVersion ?? null,
      update?.request.image ?? null,
      config?.request.version ?? null,
      update?.reportedVersion ?? null,
      update?.failure?.reason ?? config?.failure?.reason ?? null,
      update?.failure?.code ?? config?.failure?.code ?? null,
      update?.rollback?.reason ?? null,
      requestedAt,
      state.dispatchedAt ?? null,
      state.startedAt ?? null,
      state.finishedAt ?? null,
      last.revision,
      JSON.stringify(state),
    ],
  );
  const seenAt = fresh
    .filter((event) => REPORT_EVENTS.has(event.type) || isReportedFailure(event))
    .map((event) => (event.data as { at: string }).at)
    .sort()
    .pop();
  if (seenAt) {
    await query(
      `UPDATE ${clients} SET last_seen_at = GREATEST(last_seen_at, $3::timestamptz)
        WHERE tenant_id = $1 AND client_id = $2`,
      [tenantId, clientId, seenAt],
    );
  }
  return { kind: 'job', jobId, tenantId, clientId, status: state.status };
}

/** A failure or rejection with a seq came from the device; one without came from the service. */
function isReportedFailure(event: Projectable): boolean {
  return (
    (event.type === 'UpdateFailed' || event.type === 'ConfigRejected') &&
    typeof (event.data as { seq?: number }).seq === 'number'
  );
}

export function clientStatus(client: Client): ClientStatus {
  if (client.updateInFlight) return 'Updating';
  const outcome = client.lastUpdate?.outcome;
  if (outcome === 'failed' || outcome === 'rolled_back' || outcome === 'timed_out') {
    return 'UpdateFailed';
  }
  return client.presence === 'offline' ? 'Offline' : 'Online';
}

async function projectClient(
  query: SqlQuery,
  streamName: string,
  events: readonly Projectable[],
): Promise<ReadModelChange | undefined> {
  const current = startsStream(events)
    ? NO_ROW
    : await loadRow<Client>(
        query,
        `SELECT state, stream_revision FROM ${clients} WHERE stream_name = $1 FOR UPDATE`,
        streamName,
      );
  const fresh = freshEvents(events, current.revision);
  if (!fresh) return undefined;
  const state = fresh.reduce<ClientState>(
    (s, e) => evolveClient(s, e as unknown as ClientEvent),
    current.state,
  );
  if (!state) return undefined;
  const last = fresh[fresh.length - 1];
  const status = clientStatus(state);
  const presenceAt = fresh
    .filter((event) => event.type === 'ClientPresenceChanged')
    .map((event) => (event.data as { at: string }).at)
    .pop();
  await query(
    `INSERT INTO ${clients} (tenant_id, client_id, stream_name, labels, status, presence,
       reported_version, desired_version, desired_config_version, applied_config_version,
       update_job_id, last_update_outcome, last_seen_at, registered_at, stream_revision, state)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16)
     ON CONFLICT (tenant_id, client_id) DO UPDATE SET labels = EXCLUDED.labels,
       status = EXCLUDED.status, presence = EXCLUDED.presence,
       reported_version = EXCLUDED.reported_version, desired_version = EXCLUDED.desired_version,
       desired_config_version = EXCLUDED.desired_config_version,
       applied_config_version = EXCLUDED.applied_config_version,
       update_job_id = EXCLUDED.update_job_id, last_update_outcome = EXCLUDED.last_update_outcome,
       last_seen_at = GREATEST(${clients}.last_seen_at, EXCLUDED.last_seen_at),
       stream_revision = EXCLUDED.stream_revision, state = EXCLUDED.state
     WHERE ${clients}.stream_revision < EXCLUDED.stream_revision`,
    [
      state.tenantId,
      state.clientId,
      streamName,
      JSON.stringify(state.labels),
      status,
      state.presence ?? null,
      state.reportedVersion ?? null,
      state.desiredVersion ?? null,
      state.desiredConfigVersion,
      state.appliedConfigVersion ?? null,
      state.updateInFlight?.jobId ?? null,
      state.lastUpdate?.outcome ?? null,
      presenceAt ?? null,
      state.registeredAt,
      last.revision,
      JSON.stringify(state),
    ],
  );
  return { kind: 'client', tenantId: state.tenantId, clientId: state.clientId, status };
}
