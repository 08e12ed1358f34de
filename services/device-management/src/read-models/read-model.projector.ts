import type { RecordedEvent } from '@opcfleet/event-store';
import type { SqlQuery } from '@opcfleet/event-store/postgres/checkpoints';
import type { DependentWrite } from '@opcfleet/event-store/postgres/postgres-event-store';
import type { Client, ClientState } from '../clients/domain/client.decider';
import { evolveClient } from '../clients/domain/client.decider';
import type { ClientEvent } from '../clients/domain/client.events';
import type { JobState } from '../jobs/domain/job-kind';
import { JOB_KIND_DEFINITIONS, jobKind, type Job } from '../jobs/job-kinds';
import type { DomainEvent, JobKind } from '../shared/domain/domain-event';
import { jobKindOfStream, jobOfStream, STREAM_PREFIX } from '../shared/domain/stream-names';
import { READ_MODEL_SCHEMA, type ClientStatus } from './read-model.entities';

/** What a projection step changed: the SSE feed and the metrics follow it. */
export type ReadModelChange =
  | { kind: 'job'; jobId: string; tenantId: string; clientId: string; status: string }
  | { kind: 'client'; tenantId: string; clientId: string; status: ClientStatus };

/** Events that come from a device report: the client was seen when it made them. */
const REPORT_EVENTS = new Set<string>([
  ...JOB_KIND_DEFINITIONS.flatMap(({ reportEvents }) => [
    ...reportEvents.progress,
    ...reportEvents.ending,
  ]),
  'StatusReportIgnored',
  'CancelAcknowledged',
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
/** What the rows take from an event besides its revision. */
type Facts = Pick<RecordedEvent, 'type' | 'data'>;

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
  kind: JobKind,
  events: readonly Projectable[],
): Promise<ReadModelChange | undefined> {
  const { jobId } = jobOfStream(streamName)!;
  const current = startsStream(events)
    ? NO_ROW
    : await loadRow<JobState>(
        query,
        `SELECT state, stream_revision FROM ${jobs} WHERE job_id = $1 FOR UPDATE`,
        jobId,
      );
  const fresh = freshEvents(events, current.revision);
  if (!fresh) return undefined;
  const state = evolveRow(kind, current.state, fresh);
  if (!state) return undefined;
  const last = fresh[fresh.length - 1];
  await run(query, jobRowsWrite([jobRow(streamName, kind, state, last.revision)]));
  const { tenantId, clientId } = state.request;
  const seenAt = lastSeenAt(fresh);
  if (seenAt) {
    const seen = { stream_name: streamName, tenant_id: tenantId, client_id: clientId, at: seenAt };
    await run(query, clientsSeenWrite([seen]));
  }
  return { kind: 'job', jobId, tenantId, clientId, status: state.status };
}

/** A job's state after `events`, evolved by its kind's decider from `state` (null: no job). */
const evolveRow = (kind: JobKind, state: JobState | null, events: readonly Facts[]) =>
  events.reduce<JobState | null>(
    (before, event) => jobKind(kind).evolve(before, event as DomainEvent),
    state,
  );

/**
 * A report event carries the report's seq; a failure or rejection without one was decided by
 * the service, not reported by the device.
 */
const isFromDevice = (event: Facts) =>
  REPORT_EVENTS.has(event.type) && typeof (event.data as { seq?: number }).seq === 'number';

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
  await run(
    query,
    clientRowsWrite([clientRow(streamName, state, last.revision, presenceAt(fresh))]),
  );
  const status = clientStatus(state);
  return { kind: 'client', tenantId: state.tenantId, clientId: state.clientId, status };
}

/** Runs a row write as a statement of its own. */
const run = (query: SqlQuery, write: DependentWrite) =>
  query(
    write.sql((n) => `$${n}`),
    write.params,
  );

/**
 * Keeps the rows whose stream the surrounding multi-stream append did append (the write then
 * runs as a DependentWrite of that append, which provides `appended`).
 */
const ONLY_APPENDED = `JOIN appended a ON a.stream_name = r.stream_name AND a.outcome = 'appended'`;

/** The row of a job at `revision`, keyed like the columns of read_models.jobs. */
function jobRow(streamName: string, kind: JobKind, state: JobState, revision: number) {
  const details = jobKind(kind).details(state);
  return {
    stream_name: streamName,
    job_id: state.request.jobId,
    kind,
    tenant_id: state.request.tenantId,
    client_id: state.request.clientId,
    status: state.status,
    phase: state.phase ?? null,
    target_version: details.targetVersion ?? null,
    image: details.image ?? null,
    config_version: details.configVersion ?? null,
    reported_version: details.reportedVersion ?? null,
    failure_reason: state.failure?.reason ?? null,
    failure_code: state.failure?.code ?? null,
    rollback_reason: details.rollback?.reason ?? null,
    requested_at: state.request.requestedAt,
    dispatched_at: state.dispatchedAt ?? null,
    started_at: state.startedAt ?? null,
    finished_at: state.finishedAt ?? null,
    stream_revision: revision,
    state,
  };
}

/**
 * Upserts job rows in one statement; a row already at or past its revision stays. Rows are
 * written in job id order, so that two transactions lock them in the same order.
 */
function jobRowsWrite(rows: ReturnType<typeof jobRow>[], onlyAppended = false): DependentWrite {
  return {
    sql: (param) => `INSERT INTO ${jobs} (job_id, kind, tenant_id, client_id, status, phase,
       target_version, image, config_version, reported_version, failure_reason, failure_code,
       rollback_reason, requested_at, dispatched_at, started_at, finished_at, stream_revision, state)
     SELECT r.job_id, r.kind, r.tenant_id, r.client_id, r.status, r.phase, r.target_version,
       r.image, r.config_version, r.reported_version, r.failure_reason, r.failure_code,
       r.rollback_reason, r.requested_at, r.dispatched_at, r.started_at, r.finished_at,
       r.stream_revision, r.state
     FROM jsonb_to_recordset(${param(1)}::jsonb) AS r(stream_name text, job_id uuid, kind text,
       tenant_id text, client_id text, status text, phase text, target_version text, image text,
       config_version int, reported_version text, failure_reason text, failure_code text,
       rollback_reason text, requested_at timestamptz, dispatched_at timestamptz,
       started_at timestamptz, finished_at timestamptz, stream_revision int, state jsonb)
     ${onlyAppended ? ONLY_APPENDED : ''}
     ORDER BY r.job_id
     ON CONFLICT (job_id) DO UPDATE SET status = EXCLUDED.status, phase = EXCLUDED.phase,
       reported_version = EXCLUDED.reported_version, failure_reason = EXCLUDED.failure_reason,
       failure_code = EXCLUDED.failure_code, rollback_reason = EXCLUDED.rollback_reason,
       dispatched_at = EXCLUDED.dispatched_at, started_at = EXCLUDED.started_at,
       finished_at = EXCLUDED.finished_at,
       stream_revision = EXCLUDED.stream_revision, state = EXCLUDED.state
     WHERE ${jobs}.stream_revision < EXCLUDED.stream_revision`,
    params: [JSON.stringify(rows)],
  };
}

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

/** A client seen at `at` through the events of a job stream. */
interface ClientSeen {
  stream_name: string;
  tenant_id: string;
  client_id: string;
  at: string;
}

/** Moves last_seen_at forward (never back), one statement for all the clients. */
function clientsSeenWrite(seen: ClientSeen[], onlyAppended = false): DependentWrite {
  return {
    sql: (param) => `UPDATE ${clients} c SET last_seen_at = GREATEST(c.last_seen_at, s.at)
       FROM (SELECT r.tenant_id, r.client_id, max(r.at) AS at
               FROM jsonb_to_recordset(${param(1)}::jsonb)
                    AS r(stream_name text, tenant_id text, client_id text, at timestamptz)
               ${onlyAppended ? ONLY_APPENDED : ''}
              GROUP BY r.tenant_id, r.client_id
              ORDER BY r.tenant_id, r.client_id) s
      WHERE c.tenant_id = s.tenant_id AND c.client_id = s.client_id`,
    params: [JSON.stringify(seen)],
  };
}

/** The row of a client at `revision`, keyed like the columns of read_models.clients. */
function clientRow(streamName: string, state: Client, revision: number, presenceAt?: string) {
  return {
    tenant_id: state.tenantId,
    client_id: state.clientId,
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
    last_seen_at: presenceAt ?? null,
    registered_at: state.registeredAt,
    stream_revision: revision,
    state,
  };
}

/** Upserts client rows in one statement, in key order; a row at or past its revision stays. */
function clientRowsWrite(
  rows: ReturnType<typeof clientRow>[],
  onlyAppended = false,
): DependentWrite {
  return {
    sql: (param) => `INSERT INTO ${clients} (tenant_id, client_id, stream_name, labels, status,
       presence, reported_version, desired_version, desired_config_version,
       applied_config_version, update_job_id, last_update_outcome, last_seen_at, registered_at,
       stream_revision, state)
     SELECT r.* FROM jsonb_to_recordset(${param(1)}::jsonb) AS r(tenant_id text, client_id text,
       stream_name text, labels jsonb, status text, presence text, reported_version text,
       desired_version text, desired_config_version int, applied_config_version int,
       update_job_id uuid, last_update_outcome text, last_seen_at timestamptz,
       registered_at timestamptz, stream_revision int, state jsonb)
     ${onlyAppended ? ONLY_APPENDED : ''}
     ORDER BY r.tenant_id, r.client_id
     ON CONFLICT (tenant_id, client_id) DO UPDATE SET labels = EXCLUDED.labels,
       status = EXCLUDED.status, presence = EXCLUDED.presence,
       reported_version = EXCLUDED.reported_version, desired_version = EXCLUDED.desired_version,
       desired_config_version = EXCLUDED.desired_config_version,
       applied_config_version = EXCLUDED.applied_config_version,
       update_job_id = EXCLUDED.update_job_id, last_update_outcome = EXCLUDED.last_update_outcome,
       last_seen_at = GREATEST(${clients}.last_seen_at, EXCLUDED.last_seen_at),
       stream_revision = EXCLUDED.stream_revision, state = EXCLUDED.state
     WHERE ${clients}.stream_revision < EXCLUDED.stream_revision`,
    params: [JSON.stringify(rows)],
  };
}

/** A stream whose complete state is known (folded from its first event) at `revision`. */
export interface KnownStreamState<State> {
  streamName: string;
  state: State;
  revision: number;
  /** The events just appended: the reports among them tell when the client was last seen. */
  appended: readonly Facts[];
}

/**
 * The rows of job streams whose complete state the caller holds (it folded them to decide),
 * as writes that run in the statement appending their events: a row is written only if its
 * stream was appended, without being read first. Same rows as projectEvents would write.
 */
export function jobStateWrites(known: readonly KnownStreamState<Job>[]): DependentWrite[] {
  const rows = known.map(({ streamName, state, revision }) =>
    jobRow(streamName, state.kind, state.state, revision),
  );
  const seen = known.flatMap(({ streamName, state, appended }) => {
    const at = lastSeenAt(appended);
    const { tenantId, clientId } = state.state.request;
    return at ? [{ stream_name: streamName, tenant_id: tenantId, client_id: clientId, at }] : [];
  });
  return [jobRowsWrite(rows, true), ...(seen.length > 0 ? [clientsSeenWrite(seen, true)] : [])];
}

/** Same as jobStateWrites, for client streams. */
export function clientStateWrites(known: readonly KnownStreamState<Client>[]): DependentWrite[] {
  if (known.length === 0) return [];
  return [
    clientRowsWrite(
      known.map(({ streamName, state, revision, appended }) =>
        clientRow(streamName, state, revision, presenceAt(appended)),
      ),
      true,
    ),
  ];
}

/**
 * The rows of a stream after `events` take it to `revision`, for a caller that folded the
 * stream from its first event to decide (`stateBefore`, null for a new stream): writes that
 * run in the statement appending those events, without reading the rows. Same rows as
 * projectEvents would write. Undefined for a stream that has no rows.
 */
export function rowWritesAfter(
  streamName: string,
  stateBefore: unknown,
  events: readonly Facts[],
  revision: number,
): DependentWrite[] | undefined {
  const kind = jobKindOfStream(streamName);
  if (kind) {
    const state = evolveRow(kind, stateBefore as JobState | null, events);
    return state
      ? jobStateWrites([{ streamName, state: { kind, state } as Job, revision, appended: events }])
      : [];
  }
  if (streamName.startsWith(STREAM_PREFIX.client)) {
    const state = events.reduce<ClientState>(
      (s, e) => evolveClient(s, e as unknown as ClientEvent),
      stateBefore as ClientState,
    );
    return state ? clientStateWrites([{ streamName, state, revision, appended: events }]) : [];
  }
  return undefined;
}
