import { randomUUID } from 'node:crypto';
import type {
  BatchHandler,
  EventStore,
  InlineProjection,
  NewEvent,
  ProjectedRow,
  Subscription,
  SubscriptionOptions,
} from '../event-store';

/** Runs SQL on the database the store writes projected rows to; answers the rows. */
export type ReadModelQuery = (
  sql: string,
  params?: unknown[],
) => Promise<Record<string, unknown>[]>;

/** What the parts of the contract suite share: the store under test, and the test's prefix. */
export interface ContractContext {
  readonly store: EventStore;
  /** Unique per test: stream names, subscription names and row keys start with it. */
  readonly prefix: string;
  readonly readModel: ReadModelQuery;
  /** A subscription to the test's streams that the suite stops after the test. */
  subscribe(
    options: Omit<SubscriptionOptions, 'name'> & { name?: string },
    handler: BatchHandler,
  ): Subscription;
}

/**
 * The read-model tables of the projection tests. `views`: one row per stream, keyed by its
 * name. `owners`: one row per (tenant, owner), upserted by the owner's stream and advanced by
 * the streams of its jobs.
 */
export const VIEWS = 'contract_views.streams';
export const OWNERS = 'contract_views.owners';

export async function createReadModelTables(readModel: ReadModelQuery): Promise<void> {
  await readModel(`CREATE SCHEMA IF NOT EXISTS contract_views`);
  await readModel(`CREATE TABLE IF NOT EXISTS ${VIEWS} (
    stream_name text PRIMARY KEY,
    status text NOT NULL,
    event_count integer NOT NULL,
    body jsonb,
    tags text[],
    stream_revision bigint NOT NULL)`);
  await readModel(`CREATE TABLE IF NOT EXISTS ${OWNERS} (
    tenant text NOT NULL,
    owner text NOT NULL,
    name text,
    last_seen_at timestamptz,
    stream_revision bigint NOT NULL,
    PRIMARY KEY (tenant, owner))`);
}

/** The state the projection tests fold a stream into: its last event's type, and a count. */
export interface Status {
  status: string;
  count: number;
}

/** Events of the given types, in order. */
export function typed(...types: string[]): NewEvent[] {
  return types.map((type, i) => ({
    id: randomUUID(),
    type,
    data: { i },
    metadata: { correlationId: 'contract' },
  }));
}

export function events(count: number): NewEvent[] {
  return Array.from({ length: count }, (_, i) => ({
    id: randomUUID(),
    type: 'Tested',
    data: { i },
    metadata: { correlationId: 'contract' },
  }));
}

/** The row of a stream in VIEWS: what the status projection writes. */
export function viewRow(
  streamName: string,
  state: Status,
  revision: number,
  eventTypes: string[],
): ProjectedRow {
  return {
    table: VIEWS,
    key: { stream_name: streamName },
    values: {
      status: state.status,
      event_count: state.count,
      body: { last: eventTypes[eventTypes.length - 1], nested: { types: eventTypes } },
      tags: eventTypes,
    },
    revision,
  };
}

/** Inline projection of the status state into VIEWS. */
export const projectStatus: InlineProjection<Status> = ({
  streamName,
  stateAfter,
  revision,
  events,
}) => [
  viewRow(
    streamName,
    stateAfter,
    revision,
    events.map((event) => event.type),
  ),
];

/** A VIEWS row already at revision 5: a catch-up projection got it further than the events at hand. */
export async function rowAhead(readModel: ReadModelQuery, streamName: string): Promise<void> {
  await readModel(
    `INSERT INTO ${VIEWS} (stream_name, status, event_count, stream_revision)
     VALUES ($1, 'Ahead', 6, 5)`,
    [streamName],
  );
}

/** The VIEWS rows of these streams, by stream name. */
export async function viewsOf(
  readModel: ReadModelQuery,
  streamNames: string[],
): Promise<Map<string, Record<string, unknown>>> {
  const rows = await readModel(
    `SELECT stream_name, status, event_count, body, tags, stream_revision::int AS stream_revision
       FROM ${VIEWS} WHERE stream_name = ANY ($1::text[])`,
    [streamNames],
  );
  return new Map(rows.map((row) => [row.stream_name as string, row]));
}

export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
