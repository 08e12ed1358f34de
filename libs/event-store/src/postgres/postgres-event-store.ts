import { Pool, type PoolClient, type PoolConfig } from 'pg';
import pino, { type Logger } from 'pino';
import {
  DuplicateEventIdsError,
  InvalidEventStoreInputError,
  WrongExpectedRevisionError,
  type AppendOptions,
  type AppendResult,
  type Checkpointer,
  type EventBatch,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type ReadAllOptions,
  type ReadAllResult,
  type ReadStreamOptions,
  type RecordedEvent,
  type StreamMetadata,
  type StreamRename,
  type Subscription,
  type SubscriptionOptions,
} from '../event-store';
import { CatchUpSubscription, type UnreadEvents } from '../subscription/catch-up-subscription';
import { loadCheckpoint, storeCheckpoint, type SqlQuery } from './checkpoints';
import { CommitSignal, describe } from './commit-signal';
import { comparePositions, decodePosition, encodePosition } from './position';
import { acquireSubscriptionLease } from './subscription-lease';
import {
  checkedCount,
  checkedEventId,
  checkedStreamName,
  checkedType,
  encodeExpected,
  likePrefix,
} from './input';
import { ALL_OR_NOTHING_SQLSTATE, quoteIdentifier, schemaMigration } from './postgres-schema';

export interface PostgresEventStoreOptions {
  /** Used to create the pool and the LISTEN connection. */
  connectionString: string;
  /** Schema holding the store's tables (default `event_store`); tests use their own. */
  schema?: string;
  /** Pool size (default 10). Use 1 for PGlite, which runs one statement at a time anyway. */
  poolMax?: number;
  /**
   * Set on every pooled connection (default 60,000 ms). A transaction left open stalls every
   * subscriber (readers stop at the oldest running transaction), so none may idle for long.
   */
  idleInTransactionTimeoutMs?: number;
  /** Safety-net poll of subscriptions when no NOTIFY arrives (default 1,000 ms). */
  pollIntervalMs?: number;
  /** LISTEN for commits (default true). In-process appends wake subscribers either way. */
  listen?: boolean;
  logger?: Logger;
}

/** Runs inside the append's transaction, after the events are inserted, before the commit. */
export type OnAppended = (transaction: { query: SqlQuery; result: AppendResult }) => Promise<void>;

export interface PostgresAppendOptions extends AppendOptions {
  /**
   * Read-your-writes: write other rows (a read model, an outbox) in the same transaction as the
   * events. Throwing rolls the append back. Not called for an idempotent retry.
   */
  onAppended?: OnAppended;
}

/** One stream's part of a multi-stream append (appendToStreams). */
export interface StreamAppendRequest {
  streamName: string;
  events: NewEvent[];
  expectedRevision?: ExpectedRevision;
}

/** What a multi-stream append did to one stream. */
export type StreamAppendOutcome =
  | {
      streamName: string;
      /** `duplicate`: these ids were stored before (a retry); nothing was written. */
      outcome: 'appended' | 'duplicate';
      nextExpectedRevision: number;
      position: string;
    }
  /** Nothing written: the stream is at `actual`, not at the expected revision. */
  | { streamName: string; outcome: 'wrong_revision'; actual: number | 'no_stream' }
  /** Nothing written: some of the ids are stored, but not as this exact append. */
  | { streamName: string; outcome: 'partial_duplicate' };

/**
 * A write of the caller's own rows (a read model) that runs in the statement of a multi-stream
 * append, so that it needs no round trip and no transaction of its own. It may read what the
 * append did from the table `appended (stream_name text, outcome text, revision bigint)`, e.g.
 * to write only the rows of streams whose outcome is 'appended'.
 */
export interface DependentWrite {
  /** One data-modifying statement (INSERT, UPDATE...); `param(1)` is the first of `params`. */
  sql: (param: (n: number) => string) => string;
  params: unknown[];
}

/** An open write transaction of writeTransaction. */
export interface WriteTransaction {
  /** Runs a statement on the transaction's connection. */
  query: SqlQuery;
  appendToStreams(
    appends: readonly StreamAppendRequest[],
    dependentWrites?: readonly DependentWrite[],
  ): Promise<StreamAppendOutcome[]>;
}

interface EventRow {
  tx: string;
  global_position: string;
  event_id: string;
  stream_name: string;
  stream_revision: string;
  type: string;
  data: unknown;
  metadata: RecordedEvent['metadata'];
  recorded_at: Date;
}

interface AppendRow {
  outcome: 'appended' | 'duplicate' | 'wrong_revision' | 'partial_duplicate';
  revision: string;
  tx: string | null;
  pos: string | null;
}

// The xid8 goes out as text under another name: an output column named transaction_id would
// take precedence in ORDER BY and sort the cursor as text ("1000" < "999").
const EVENT_COLUMNS =
  'transaction_id::text AS tx, global_position, event_id, stream_name, stream_revision, type, data, metadata, recorded_at';

/**
 * The EventStore port over PostgreSQL (and PGlite served over the wire protocol). Create it
 * with `PostgresEventStore.connect(options)`: the schema migration runs first, idempotently.
 */
export class PostgresEventStore implements EventStore {
  readonly schema: string;
  private readonly table: (name: string) => string;
  private readonly subscriptions = new Set<Subscription>();
  private readonly signal: CommitSignal;
  private closed = false;

  private constructor(
    private readonly pool: Pool,
    private readonly options: PostgresEventStoreOptions,
    private readonly logger: Logger,
  ) {
    this.schema = options.schema ?? 'event_store';
    const quoted = quoteIdentifier(this.schema);
    this.table = (name) => `${quoted}.${name}`;
    this.signal = new CommitSignal({
      connectionString: options.connectionString,
      schema: this.schema,
      listen: options.listen !== false,
      reconnectDelayMs: options.pollIntervalMs ?? 1_000,
      logger,
    });
  }

  static async connect(options: PostgresEventStoreOptions): Promise<PostgresEventStore> {
    const idleTimeout = options.idleInTransactionTimeoutMs ?? 60_000;
    const config: PoolConfig = {
      connectionString: options.connectionString,
      max: options.poolMax ?? 10,
      // Sent in the start-up packet of every pooled connection.
      idle_in_transaction_session_timeout: Math.floor(idleTimeout),
    };
    const pool = new Pool(config);
    const logger = options.logger ?? pino({ name: 'event-store' });
    pool.on('error', (error) =>
      logger.warn({ error: describe(error) }, 'idle event store connection failed'),
    );
    const store = new PostgresEventStore(pool, options, logger);
    try {
      await pool.query(schemaMigration(store.schema));
    } catch (error) {
      await pool.end();
      throw error;
    }
    return store;
  }

  async appendToStream(
    streamName: string,
    events: NewEvent[],
    options: PostgresAppendOptions = {},
  ): Promise<AppendResult> {
    const expected = options.expectedRevision ?? 'any';
    const params = [
      checkedStreamName(streamName),
      encodeExpected(expected),
      events.map((event, index) => checkedEventId(event, index)),
      events.map((event, index) => checkedType(event, index)),
      events.map((event) => JSON.stringify(event.data ?? null)),
      events.map((event) => JSON.stringify(event.metadata ?? {})),
    ];
    const sql = `SELECT outcome, revision, tx::text, pos
      FROM ${this.table('append_to_stream')}($1, $2, $3::uuid[], $4::text[], $5::text[]::jsonb[], $6::text[]::jsonb[])`;

    let result: AppendResult;
    if (!options.onAppended) {
      const { rows } = await this.pool.query<AppendRow>(sql, params);
      result = this.appendResult(streamName, expected, events, rows[0]);
    } else {
      result = await this.inTransaction(async (client) => {
        const { rows } = await client.query<AppendRow>(sql, params);
        const outcome = this.appendResult(streamName, expected, events, rows[0]);
        if (rows[0].outcome === 'appended') {
          await options.onAppended!({ query: (q, p) => client.query(q, p), result: outcome });
        }
        return outcome;
      });
    }
    this.signal.committed();
    return result;
  }

  async readStream(streamName: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const backwards = options.direction === 'backwards';
    const from = options.fromRevision ?? (backwards ? Number.MAX_SAFE_INTEGER : 0);
    const { rows } = await this.pool.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM ${this.table('events')}
        WHERE stream_name = $1 AND stream_revision ${backwards ? '<=' : '>='} $2
        ORDER BY stream_revision ${backwards ? 'DESC' : 'ASC'}
        LIMIT $3`,
      [checkedStreamName(streamName), from, checkedCount(options.maxCount)],
    );
    return rows.map(toRecordedEvent);
  }

  // ---- Several streams per round trip (group commit of a batch of commands) ----

  /** Every event of each named stream, in revision order; a stream that does not exist is absent. */
  async readStreams(streamNames: readonly string[]): Promise<Map<string, RecordedEvent[]>> {
    const streams = new Map<string, RecordedEvent[]>();
    if (streamNames.length === 0) return streams;
    const { rows } = await this.pool.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM ${this.table('events')}
        WHERE stream_name = ANY ($1::text[])
        ORDER BY stream_name, stream_revision`,
      [streamNames.map(checkedStreamName)],
    );
    for (const row of rows) {
      const event = toRecordedEvent(row);
      const list = streams.get(event.streamName);
      if (list) list.push(event);
      else streams.set(event.streamName, [event]);
    }
    return streams;
  }

  /**
   * Appends to several streams in one statement, each under its own expectedRevision. Unlike
   * appendToStream, a conflict is an outcome, not a throw: the other streams are appended all
   * the same (in one implicit transaction), and the caller retries the conflicting ones.
   * `dependentWrites` commit with the appends, or fail them all.
   */
  async appendToStreams(
    appends: readonly StreamAppendRequest[],
    dependentWrites: readonly DependentWrite[] = [],
  ): Promise<StreamAppendOutcome[]> {
    const outcomes = await this.appendStatement(
      (sql, params) => this.pool.query(sql, params),
      appends,
      dependentWrites,
    );
    this.signal.committed();
    return outcomes;
  }

  /**
   * Appends to several streams and runs `dependentWrites` in one statement (one round trip, no
   * transaction to open), all or nothing: when one stream is not at its expected revision,
   * nothing is written and WrongExpectedRevisionError (or DuplicateEventIdsError) is thrown,
   * like appendToStream. An idempotent retry of the whole append answers `duplicate` outcomes.
   */
  async appendToStreamsAtomically(
    appends: readonly StreamAppendRequest[],
    dependentWrites: readonly DependentWrite[] = [],
  ): Promise<StreamAppendOutcome[]> {
    let outcomes: StreamAppendOutcome[];
    try {
      outcomes = await this.appendStatement(
        (sql, params) => this.pool.query(sql, params),
        appends,
        dependentWrites,
        { allOrNothing: true },
      );
    } catch (error) {
      throw refusedAppendError(error, appends) ?? error;
    }
    this.signal.committed();
    return outcomes;
  }

  /**
   * Runs `work` in one transaction with appends to several streams and the caller's own rows
   * (read models): all commit together, or nothing does when `work` throws. Subscribers are
   * woken after the commit.
   */
  async writeTransaction<T>(work: (transaction: WriteTransaction) => Promise<T>): Promise<T> {
    const result = await this.inTransaction((client) => {
      const query: SqlQuery = (sql, params) => client.query(sql, params);
      return work({
        query,
        appendToStreams: (appends, dependentWrites = []) =>
          this.appendStatement(query, appends, dependentWrites),
      });
    });
    this.signal.committed();
    return result;
  }

  /**
   * One call of append_to_stream per stream, in the order given (which is the order the
   * streams are locked in: callers sort them, so that two batches never wait for each other
   * crosswise), in one statement.
   */
  private async appendStatement(
    query: SqlQuery,
    appends: readonly StreamAppendRequest[],
    dependentWrites: readonly DependentWrite[],
    { allOrNothing = false } = {},
  ): Promise<StreamAppendOutcome[]> {
    if (appends.length === 0) return [];
    const names = appends.map((append) => checkedStreamName(append.streamName));
    if (new Set(names).size !== names.length) {
      throw new InvalidEventStoreInputError('a multi-stream append names each stream once');
    }
    const events = appends.flatMap((append, index) =>
      append.events.map((event, n) => ({ stream: index + 1, event, n })),
    );
    const params: unknown[] = [
      names,
      appends.map((append) => encodeExpected(append.expectedRevision ?? 'any')),
      events.map(({ stream }) => stream),
      events.map(({ event, n }) => checkedEventId(event, n)),
      events.map(({ event, n }) => checkedType(event, n)),
      events.map(({ event }) => JSON.stringify(event.data ?? null)),
      events.map(({ event }) => JSON.stringify(event.metadata ?? {})),
    ];
    const writes = dependentWrites.map((write, index) => {
      const offset = params.length;
      params.push(...write.params);
      return `, dependent_${index} AS (${write.sql((n) => `$${offset + n}`)})`;
    });
    const result = await query(
      `WITH appended AS MATERIALIZED (
         SELECT s.ord::int AS ord, s.stream AS stream_name, r.outcome, r.revision, r.tx, r.pos
           FROM unnest($1::text[], $2::bigint[]) WITH ORDINALITY AS s(stream, expected, ord)
          CROSS JOIN LATERAL (
            SELECT coalesce(array_agg(e.id ORDER BY e.n), '{}') AS ids,
                   coalesce(array_agg(e.type ORDER BY e.n), '{}') AS types,
                   coalesce(array_agg(e.data ORDER BY e.n), '{}') AS data,
                   coalesce(array_agg(e.metadata ORDER BY e.n), '{}') AS metadata
              FROM unnest($3::int[], $4::uuid[], $5::text[], $6::text[]::jsonb[], $7::text[]::jsonb[])
                   WITH ORDINALITY AS e(stream, id, type, data, metadata, n)
             WHERE e.stream = s.ord
          ) g
          CROSS JOIN LATERAL ${this.table('append_to_stream')}(s.stream, s.expected, g.ids, g.types, g.data, g.metadata) r
       )${writes.join('')}${
         allOrNothing
           ? `, required AS (
         SELECT ${this.table('require_appended')}(
                  array_agg(stream_name ORDER BY ord), array_agg(outcome ORDER BY ord),
                  array_agg(revision ORDER BY ord)) AS ok
           FROM appended)`
           : ''
       }
       SELECT ord, outcome, revision, tx::text AS tx, pos
         FROM appended${allOrNothing ? ', required' : ''} ORDER BY ord`,
      params,
    );
    const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Array<
      AppendRow & { ord: number }
    >;
    return rows.map((row) => toStreamOutcome(names[row.ord - 1], row));
  }

  async readAll(options: ReadAllOptions = {}): Promise<ReadAllResult> {
    const after = decodePosition(options.after);
    const maxCount = checkedCount(options.maxCount);
    const cursor = [after.transactionId.toString(), after.globalPosition.toString(), maxCount];
    if (!options.streamPrefixes?.length) {
      const { rows } = await this.pool.query<EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM ${this.table('events')}
          WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)
            AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
          ORDER BY transaction_id, global_position
          LIMIT $3`,
        cursor,
      );
      const events = rows.map(toRecordedEvent);
      return { events, next: events.length ? events[events.length - 1].position : options.after };
    }
    // Filtered: when the page is not full, every visible event up to the last one was either
    // returned or belongs to another stream, so the cursor may jump to that last event, in the
    // same snapshot. Without the jump a subscriber to a rare prefix rescans the others' events
    // on every poll.
    const { rows } = await this.pool.query<EventRow & { last_tx: string; last_pos: string }>(
      `WITH horizon AS MATERIALIZED (
         SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin
       ), last_visible AS MATERIALIZED (
         SELECT e.transaction_id::text AS last_tx, e.global_position AS last_pos
           FROM ${this.table('events')} e, horizon h
          WHERE e.transaction_id < h.xmin
          ORDER BY e.transaction_id DESC, e.global_position DESC LIMIT 1
       ), page AS (
         SELECT ${EVENT_COLUMNS}, transaction_id AS tx_order
           FROM ${this.table('events')}, horizon h
          WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)
            AND transaction_id < h.xmin
            AND stream_name LIKE ANY ($4::text[])
          ORDER BY transaction_id, global_position
          LIMIT $3
       )
       SELECT page.*, last_visible.* FROM last_visible LEFT JOIN page ON true
        ORDER BY page.tx_order, page.global_position`,
      [...cursor, options.streamPrefixes.map(likePrefix)],
    );
    const events = rows.filter((row) => row.event_id !== null).map(toRecordedEvent);
    const pageFull = maxCount !== null && events.length === maxCount;
    if (pageFull) return { events, next: events[events.length - 1].position };
    if (rows.length === 0) return { events, next: options.after };
    const last = {
      transactionId: BigInt(rows[0].last_tx),
      globalPosition: BigInt(rows[0].last_pos),
    };
    const next =
      comparePositions(last, after) > 0
        ? encodePosition(last.transactionId, last.globalPosition)
        : options.after;
    return { events, next };
  }

  subscribe(
    options: SubscriptionOptions,
    handler: (batch: EventBatch) => Promise<void>,
  ): Subscription {
    if (this.closed) throw new Error('the event store is closed');
    const subscription = new CatchUpSubscription(
      {
        readAll: (read) => this.readAll(read),
        loadCheckpoint: (name) => loadCheckpoint(this.query, this.schema, name),
        storeCheckpoint: (name, checkpoint) =>
          storeCheckpoint(this.query, this.schema, name, checkpoint),
        lastPosition: (prefixes) => this.lastPosition(prefixes),
        unreadEvents: (after) => this.unreadEvents(after),
        comparePositions: (a, b) => comparePositions(decodePosition(a), decodePosition(b)),
        onWake: (wake) => this.signal.onWake(wake),
        pollIntervalMs: this.options.pollIntervalMs ?? 1_000,
        acquireLease: (name, signal) =>
          acquireSubscriptionLease(name, signal, {
            connectionString: this.options.connectionString,
            schema: this.schema,
            retryMs: this.options.pollIntervalMs ?? 1_000,
            logger: this.logger,
          }),
      },
      {
        ...options,
        onError:
          options.onError ??
          ((error, attempt) =>
            this.logger.warn(
              { err: error, subscription: options.name, attempt },
              'retrying batch',
            )),
      },
      handler,
      () => this.subscriptions.delete(subscription),
    );
    this.subscriptions.add(subscription);
    return subscription;
  }

  /** Checkpoints of this store's own table, for 'handler' mode callers that use this pool. */
  checkpointer(): Checkpointer {
    return {
      load: (name) => loadCheckpoint(this.query, this.schema, name),
      store: (name, checkpoint) => storeCheckpoint(this.query, this.schema, name, checkpoint),
    };
  }

  async setStreamMetadata(streamName: string, metadata: StreamMetadata): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${this.table('stream_metadata')} (stream_name, metadata, updated_at)
       VALUES ($1, $2::jsonb, now())
       ON CONFLICT (stream_name) DO UPDATE SET metadata = EXCLUDED.metadata, updated_at = now()`,
      [checkedStreamName(streamName), JSON.stringify(metadata)],
    );
  }

  async renameStreams(renames: readonly StreamRename[]): Promise<void> {
    if (renames.length === 0) return;
    const from = renames.map((rename) => checkedStreamName(rename.from));
    const to = renames.map((rename) => checkedStreamName(rename.to));
    const names = new Set([...from, ...to]);
    if (names.size !== from.length + to.length) {
      throw new InvalidEventStoreInputError('a rename names each stream once, old or new');
    }
    await this.inTransaction(async (client) => {
      const taken = await client.query<{ stream_name: string }>(
        `SELECT stream_name FROM ${this.table('streams')} WHERE stream_name = ANY ($1::text[])
          UNION SELECT stream_name FROM ${this.table('stream_metadata')}
          WHERE stream_name = ANY ($1::text[]) LIMIT 1`,
        [to],
      );
      if (taken.rows.length > 0) {
        throw new InvalidEventStoreInputError(
          `cannot rename a stream to ${taken.rows[0].stream_name}: that stream exists`,
        );
      }
      for (const table of ['streams', 'events', 'stream_metadata']) {
        await client.query(
          `UPDATE ${this.table(table)} t SET stream_name = r.to_name
             FROM unnest($1::text[], $2::text[]) AS r(from_name, to_name)
            WHERE t.stream_name = r.from_name`,
          [from, to],
        );
      }
    });
  }

  async getStreamMetadata(streamName: string): Promise<StreamMetadata | undefined> {
    const { rows } = await this.pool.query<{ metadata: StreamMetadata }>(
      `SELECT metadata FROM ${this.table('stream_metadata')} WHERE stream_name = $1`,
      [checkedStreamName(streamName)],
    );
    return rows[0]?.metadata;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
    await this.signal.close();
    await this.pool.end();
  }

  private readonly query: SqlQuery = (sql, params) => this.pool.query(sql, params);

  private async inTransaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    // The server may end a checked-out connection (idle_in_transaction_session_timeout): the
    // pending query rejects; without a listener the 'error' event would crash the process.
    let lost: Error | undefined;
    const onError = (error: Error) => {
      lost = error;
      this.logger.warn(
        { error: describe(error) },
        'event store connection lost inside a transaction',
      );
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.off('error', onError);
      client.release(lost);
    }
  }

  private appendResult(
    streamName: string,
    expected: ExpectedRevision,
    events: NewEvent[],
    row: AppendRow,
  ): AppendResult {
    const revision = Number(row.revision);
    switch (row.outcome) {
      case 'wrong_revision':
        throw new WrongExpectedRevisionError(
          streamName,
          expected,
          revision < 0 ? 'no_stream' : revision,
        );
      case 'partial_duplicate':
        throw new DuplicateEventIdsError(
          streamName,
          events.map((event) => event.id),
        );
      default:
        return {
          nextExpectedRevision: revision,
          // An empty append to an empty stream has no position: the start of $all stands in.
          position: row.tx === null ? encodePosition(0n, 0n) : encodePosition(row.tx, row.pos!),
        };
    }
  }

  /**
   * After an empty read: is any event after the cursor committed and readable now (it came in
   * since that read), or committed but behind the horizon (an older transaction is open)?
   */
  private async unreadEvents(after: string | undefined): Promise<UnreadEvents> {
    const cursor = decodePosition(after);
    const { rows } = await this.pool.query<{ unread: UnreadEvents }>(
      `SELECT CASE
           WHEN e.transaction_id IS NULL THEN 'none'
           WHEN e.transaction_id < pg_snapshot_xmin(pg_current_snapshot()) THEN 'readable'
           ELSE 'blocked'
         END AS unread
         FROM (SELECT NULL) one
         LEFT JOIN LATERAL (
           SELECT transaction_id FROM ${this.table('events')}
            WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)
            ORDER BY transaction_id, global_position LIMIT 1
         ) e ON true`,
      [cursor.transactionId.toString(), cursor.globalPosition.toString()],
    );
    return rows[0].unread;
  }

  /** The last committed event matching the prefixes (ignoring the horizon): caughtUp's target. */
  private async lastPosition(prefixes: string[] | undefined): Promise<string | undefined> {
    const { rows } = await this.pool.query<{ tx: string; pos: string }>(
      `SELECT transaction_id::text AS tx, global_position AS pos FROM ${this.table('events')}
        ${prefixes?.length ? 'WHERE stream_name LIKE ANY ($1::text[])' : ''}
        ORDER BY transaction_id DESC, global_position DESC LIMIT 1`,
      prefixes?.length ? [prefixes.map(likePrefix)] : [],
    );
    return rows[0] ? encodePosition(rows[0].tx, rows[0].pos) : undefined;
  }
}

/** The typed error for a statement that require_appended failed; undefined for any other error. */
function refusedAppendError(
  error: unknown,
  appends: readonly StreamAppendRequest[],
): Error | undefined {
  const pgError = error as { code?: string; detail?: string };
  if (pgError.code !== ALL_OR_NOTHING_SQLSTATE || !pgError.detail) return undefined;
  const refused = JSON.parse(pgError.detail) as {
    stream: string;
    outcome: string;
    revision: number;
  };
  const append = appends.find((a) => a.streamName === refused.stream);
  if (refused.outcome === 'partial_duplicate') {
    return new DuplicateEventIdsError(refused.stream, append?.events.map((e) => e.id) ?? []);
  }
  return new WrongExpectedRevisionError(
    refused.stream,
    append?.expectedRevision ?? 'any',
    refused.revision < 0 ? 'no_stream' : refused.revision,
  );
}

function toStreamOutcome(streamName: string, row: AppendRow): StreamAppendOutcome {
  const revision = Number(row.revision);
  switch (row.outcome) {
    case 'wrong_revision':
      return {
        streamName,
        outcome: 'wrong_revision',
        actual: revision < 0 ? 'no_stream' : revision,
      };
    case 'partial_duplicate':
      return { streamName, outcome: 'partial_duplicate' };
    default:
      return {
        streamName,
        outcome: row.outcome,
        nextExpectedRevision: revision,
        position: row.tx === null ? encodePosition(0n, 0n) : encodePosition(row.tx, row.pos!),
      };
  }
}

function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    id: row.event_id,
    streamName: row.stream_name,
    type: row.type,
    data: row.data,
    metadata: row.metadata,
    revision: Number(row.stream_revision),
    position: encodePosition(row.tx, row.global_position),
    recordedAt: row.recorded_at,
  };
}
