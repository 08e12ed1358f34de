/**
 * The EventStore port. Adapters (PostgreSQL over `pg`; later KurrentDB) implement it and
 * pass the same contract suite in ./testing. Positions and checkpoints are opaque strings:
 * callers store and hand them back, never parse or compare them.
 */

/** Who did it and why: recorded with every event so an auditor can follow a chain. */
export interface EventMetadata {
  /** JWT subject, `device:{clientId}`, or `system:{component}`. */
  actor?: string;
  tenantId?: string;
  correlationId?: string;
  /** The id of the event or message that caused this one. */
  causationId?: string;
  [key: string]: unknown;
}

export interface NewEvent<Type extends string = string, Data = unknown> {
  /** A UUID chosen by the writer: appending an event whose id is already stored is a no-op. */
  id: string;
  type: Type;
  data: Data;
  metadata?: EventMetadata;
}

export interface RecordedEvent<Type extends string = string, Data = unknown> {
  id: string;
  streamName: string;
  type: Type;
  data: Data;
  metadata: EventMetadata;
  /** 0-based position of the event within its stream. */
  revision: number;
  /** Opaque global position: resume a read or subscription after this event. */
  position: string;
  recordedAt: Date;
}

/**
 * `any`: no check. `no_stream`: the stream must not exist. `stream_exists`: it must.
 * A number: the revision of the stream's last event must be exactly this.
 */
export type ExpectedRevision = 'any' | 'no_stream' | 'stream_exists' | number;

export interface AppendOptions {
  expectedRevision?: ExpectedRevision;
}

export interface AppendResult {
  /** Revision of the last event of the stream after the append: pass it as expectedRevision next time. */
  nextExpectedRevision: number;
  /** Position of the last appended (or already stored) event. */
  position: string;
}

/**
 * One stream's part of a multi-stream append (`appendToStreams`). `State` is what the caller
 * folded the stream into to decide; it reaches the inline projection.
 */
export interface StreamAppend<State = unknown> {
  streamName: string;
  events: readonly NewEvent[];
  expectedRevision: ExpectedRevision;
  /**
   * The stream's state after `events`, folded by the caller from the stream's first event.
   * With it the stream is projected inline (`options.project`); that needs an exact
   * `expectedRevision` (a number or `no_stream`), since the state is only true if no other
   * writer got in between.
   */
  stateAfter?: State;
}

/** What a multi-stream append did to one stream. */
export interface StreamAppendResult {
  streamName: string;
  /** `duplicate`: these event ids were stored before, by this same append (a retry): nothing was written. */
  outcome: 'appended' | 'duplicate';
  nextExpectedRevision: number;
  position: string;
}

/**
 * An event as an inline projection sees it: stored in this append, at this revision. Its
 * global position and time are given by the commit, which the projection's rows are part of.
 */
export type AppendedEvent = Pick<
  RecordedEvent,
  'id' | 'streamName' | 'type' | 'data' | 'metadata' | 'revision'
>;

/** One stream of an append, as its inline projection sees it. */
export interface AppendedStream<State = unknown> {
  streamName: string;
  events: readonly AppendedEvent[];
  /** Revision of the stream's last event after the append. */
  revision: number;
  stateAfter: State;
}

/**
 * Maps a stream's state after an append to read-model rows, written in the same commit as the
 * events (read-your-writes). Pure: no I/O, the rows are data the store writes.
 */
export type InlineProjection<State = unknown> = (
  appended: AppendedStream<State>,
) => readonly ProjectedRow[];

export interface AppendToStreamsOptions<State = unknown> {
  /** Called for each stream that carries `stateAfter`; its rows commit with the events. */
  project?: InlineProjection<State>;
}

/**
 * A read-model row, written by the store in the commit of an append (inline projection) or
 * with a subscription's checkpoint (catch-up projection). Table and column names are plain
 * identifiers (lowercase letters, digits, `_`); values are bound as parameters and converted to
 * the column's type (objects and arrays into `jsonb`, ISO strings into timestamps).
 *
 * - `upsert` (the default `op`): inserts the row, or updates it only if its `stream_revision`
 *   column is below `revision`: rows only move forward, so inline and catch-up projections,
 *   replays and rebuilds may overlap. Columns in `monotonic` never go back either
 *   (`GREATEST(existing, new)`), e.g. a last-seen time that `advance` rows also move.
 * - `delete`: deletes the row if its `stream_revision` is below `revision`.
 * - `advance`: moves columns of an existing row forward (`GREATEST`), whatever its revision:
 *   for a row that other streams than its own contribute to (a client seen through its jobs).
 *   Several streams may advance one row in one call; a missing row stays missing.
 *
 * In one call (an append, a subscription batch), each table's rows share their key columns,
 * and its upserts and advances their columns; a key is upserted or deleted once.
 */
export type ProjectedRow = RowUpsert | RowDelete | RowAdvance;

export interface RowUpsert {
  op?: 'upsert';
  /** `schema.table` or `table`. */
  table: string;
  /** The columns of a unique index of the table, and their values (not null). */
  key: Record<string, unknown>;
  values: Record<string, unknown>;
  /** Stored in the row's `stream_revision` column: the revision of the stream it reflects. */
  revision: number;
  /** Columns of `values` that only move forward. */
  monotonic?: readonly string[];
}

export interface RowDelete {
  op: 'delete';
  table: string;
  key: Record<string, unknown>;
  /** The row goes if its `stream_revision` is below this. */
  revision: number;
}

export interface RowAdvance {
  op: 'advance';
  table: string;
  key: Record<string, unknown>;
  /** Each column becomes the greatest of its value and this one. */
  values: Record<string, unknown>;
}

/** What a subscription handler may return: rows written with the batch's checkpoint. */
export interface ProjectedBatch {
  rows: readonly ProjectedRow[];
}

export interface ReadStreamOptions {
  direction?: 'forwards' | 'backwards';
  /** Inclusive start revision (forwards: lowest, backwards: highest). */
  fromRevision?: number;
  maxCount?: number;
}

export interface ReadAllOptions {
  /** Read events after this position or checkpoint; from the beginning when absent. */
  after?: string;
  maxCount?: number;
  /** Only streams whose name starts with one of these prefixes. */
  streamPrefixes?: string[];
  /** Only events of these types (with streamPrefixes: both must match). */
  eventTypes?: string[];
}

export interface ReadAllResult {
  events: RecordedEvent[];
  /**
   * Where the next read continues: the last event's position, or `after` when nothing was read.
   * A read filtered by stream prefixes or event types may return a position past the last
   * event (or past `after`) when it skipped events it was not asked for.
   */
  next: string | undefined;
  /**
   * Whether events committed after this read wait behind an older open transaction (readers
   * stop at the oldest running one, which ends with no wake-up): a subscriber looks again soon.
   */
  blocked: boolean;
}

/**
 * Events that belong to a scope: those of any named stream, of any stream starting with one
 * of the prefixes, or whose metadata carries one of the correlation ids (any of them matches).
 */
export interface EventScope {
  streamNames?: readonly string[];
  streamPrefixes?: readonly string[];
  correlationIds?: readonly string[];
}

/**
 * A search over every stream's events (an audit), in commit order (`forwards`) or its reverse,
 * one page at a time. Every condition given must hold.
 */
export interface EventQuery {
  /** Only events whose `metadata.tenantId` is this. */
  tenantId?: string;
  /** Only events whose `metadata.actor` is this. */
  actor?: string;
  /** Only events of these types. */
  types?: readonly string[];
  /** Only events in every one of these scopes. */
  within?: readonly EventScope[];
  /** Only events recorded at or after this time. */
  recordedFrom?: Date;
  /** Only events recorded before this time. */
  recordedBefore?: Date;
  /** `forwards` (default): oldest first; `backwards`: newest first. */
  direction?: 'forwards' | 'backwards';
  /** The `next` of the previous page: continue after it, in `direction`. */
  after?: string;
  /** Events per page (at most 10,000). */
  maxCount: number;
}

export interface EventQueryResult {
  events: RecordedEvent[];
  /** Where the next page starts (pass it as `after`); undefined when this page is the last. */
  next: string | undefined;
}

export interface StreamMetadata {
  /** Events older than this may be removed by a retention job (not read by the store itself). */
  maxAgeSeconds?: number;
  maxCount?: number;
  [key: string]: unknown;
}

/** A stream that was not at the revision its append expected. */
export interface RevisionConflict {
  streamName: string;
  expected: ExpectedRevision;
  actual: number | 'no_stream';
}

/** Thrown when expectedRevision does not match: the caller reloads its state and decides again. */
export class WrongExpectedRevisionError extends Error {
  /**
   * Every stream of the append that was not at its expected revision (this one first): a
   * multi-stream append reports them all, so the caller reloads them all at once.
   */
  readonly conflicts: readonly RevisionConflict[];

  constructor(
    readonly streamName: string,
    readonly expected: ExpectedRevision,
    readonly actual: number | 'no_stream',
    others: readonly RevisionConflict[] = [],
  ) {
    super(
      `stream ${streamName}: expected revision ${String(expected)}, actual ${String(actual)}` +
        (others.length > 0 ? ` (and ${others.length} other stream(s) moved)` : ''),
    );
    this.name = 'WrongExpectedRevisionError';
    this.conflicts = [{ streamName, expected, actual }, ...others];
  }
}

/**
 * Thrown when some of the appended event ids are already stored but not all of them, or they
 * were stored in another stream: this is not a retry of an earlier append, so nothing is written.
 */
export class DuplicateEventIdsError extends Error {
  constructor(
    readonly streamName: string,
    readonly eventIds: string[],
  ) {
    super(
      `stream ${streamName}: some of the event ids ${eventIds.join(', ')} are already stored, ` +
        'but not as this exact append (partial overlap or another stream)',
    );
    this.name = 'DuplicateEventIdsError';
  }
}

/** Thrown for input the store cannot accept (bad id, empty type, malformed position): nothing is written. */
export class InvalidEventStoreInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidEventStoreInputError';
  }
}

/** Stores the position a subscription has handled up to. */
export interface Checkpointer {
  load(subscriptionName: string): Promise<string | undefined>;
  store(subscriptionName: string, checkpoint: string): Promise<void>;
  /** Forgets it: the subscription starts from the beginning next time (a rebuild). */
  delete(subscriptionName: string): Promise<void>;
}

export interface SubscriptionOptions {
  /** Durable name: the checkpoint is stored under it. */
  name: string;
  streamPrefixes?: string[];
  /**
   * Only events of these types: a subscriber that acts on a few types skips the others in the
   * database (its checkpoint still moves past them).
   */
  eventTypes?: string[];
  /** Events per handler call. */
  batchSize?: number;
  /**
   * Reads at most once in this many milliseconds while events keep coming (default 0: at
   * every wake-up), so that the commits of that time come in one batch. Under load every
   * commit wakes every subscriber; one that needs no millisecond latency spares the database
   * a read (and a look behind the horizon) per commit. A full page is followed at once.
   */
  readIntervalMs?: number;
  /**
   * `store` (default): the subscription stores the checkpoint after each handled batch
   * (at-least-once: a crash between handling and storing replays the batch). A handler that
   * returns `{ rows }` has them written in the same commit as the checkpoint (exactly-once
   * effect: a crash before that commit replays the batch, and loses nothing).
   * `handler`: the handler stores `batch.checkpoint` itself, in the same transaction as the
   * rows it writes, and `checkpointer.load` tells where to resume. It may not return rows.
   */
  checkpointing?:
    | {
        mode: 'store';
        /**
         * A batch whose handler returns no rows stores its checkpoint only when the last one
         * stored is this old (and on stop): for a projection whose batches are mostly written
         * already (inline), which then replays at most this much after a crash.
         */
        idleCheckpointEveryMs?: number;
      }
    | { mode: 'handler'; checkpointer: Pick<Checkpointer, 'load'> };
  /** Called when the handler (or a read) throws; the batch is retried after a back-off. */
  onError?: (error: unknown, attempt: number) => void;
  /** Back-off between retries: doubles from `initialDelayMs` (100) up to `maxDelayMs` (30,000). */
  retry?: { initialDelayMs?: number; maxDelayMs?: number };
  /**
   * Run by one process at a time across every process sharing the store (replicas): the
   * others wait and take over when it stops or dies. Keeps duplicate work rare; it is not a
   * fence, so handlers must still be idempotent (a lost lease may overlap a batch in flight).
   */
  exclusive?: boolean;
}

export interface StreamRename {
  from: string;
  to: string;
}

export interface EventBatch {
  events: RecordedEvent[];
  /** Checkpoint to store once every event of the batch is handled. */
  checkpoint: string;
}

/** Handles one batch; returning `{ rows }` writes them with the checkpoint (mode `store`). */
export type BatchHandler = (batch: EventBatch) => Promise<void | ProjectedBatch>;

export interface Subscription {
  /** Resolves once the subscription has handled everything committed before this call. */
  caughtUp(): Promise<void>;
  /** Whether it is reading now: false for an exclusive one while another process runs it. */
  readonly active: boolean;
  stop(): Promise<void>;
}

export interface EventStore {
  appendToStream(
    streamName: string,
    events: NewEvent[],
    options?: AppendOptions,
  ): Promise<AppendResult>;
  /**
   * Appends to several streams at once, all or nothing: when one stream is not at its
   * expected revision, nothing is written and WrongExpectedRevisionError names it (its
   * `conflicts`, every stream that moved); some ids stored but not as this exact append:
   * DuplicateEventIdsError. A stream whose events are all stored already, by this same append
   * (a retry), answers `duplicate` and writes nothing, rows included. The rows of
   * `options.project` commit with the events. Results come in the order of `appends`.
   */
  appendToStreams<State = unknown>(
    appends: readonly StreamAppend<State>[],
    options?: AppendToStreamsOptions<State>,
  ): Promise<StreamAppendResult[]>;
  readStream(streamName: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /** Every event of each named stream, in revision order; a stream that does not exist is absent. */
  readStreams(streamNames: readonly string[]): Promise<Map<string, RecordedEvent[]>>;
  readAll(options?: ReadAllOptions): Promise<ReadAllResult>;
  /**
   * Searches events of every stream (an audit), a page at a time, in commit order or its
   * reverse. Like readAll it sees a commit once every older transaction has ended, so paging
   * forwards never skips one. Bad input (a position it did not issue, an invalid date, a
   * count out of range): InvalidEventStoreInputError.
   */
  queryEvents(query: EventQuery): Promise<EventQueryResult>;
  subscribe(options: SubscriptionOptions, handler: BatchHandler): Subscription;
  /** The checkpoints of 'store' mode subscriptions: for a handler that stores its own, or a reset. */
  checkpointer(): Checkpointer;
  setStreamMetadata(streamName: string, metadata: StreamMetadata): Promise<void>;
  /**
   * Gives streams new names, for a migration from one naming scheme to another: every event
   * keeps its id, data, revision, position and time, and the stream's metadata moves with it.
   * All or nothing: a name to give that a stream already has, a name given twice, or an empty
   * name writes nothing (InvalidEventStoreInputError). A stream that does not exist is skipped.
   * Subscriptions see no new event: the events were there before. Run it while no writer uses
   * the old names.
   */
  renameStreams(renames: readonly StreamRename[]): Promise<void>;
  getStreamMetadata(streamName: string): Promise<StreamMetadata | undefined>;
  close(): Promise<void>;
}
