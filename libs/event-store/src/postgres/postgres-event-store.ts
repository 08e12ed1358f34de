import { Pool, type PoolConfig } from 'pg';
import pino, { type Logger } from 'pino';
import type {
  AppendOptions,
  AppendResult,
  AppendToStreamsOptions,
  BatchHandler,
  Checkpointer,
  EventQuery,
  EventQueryResult,
  EventStore,
  NewEvent,
  ReadAllOptions,
  ReadAllResult,
  ReadStreamOptions,
  RecordedEvent,
  StreamAppend,
  StreamAppendResult,
  StreamMetadata,
  StreamRename,
  Subscription,
  SubscriptionOptions,
} from '../event-store';
import { appendToStream } from './append';
import { CommitSignal, describe } from './commit-signal';
import type { StoreConnection } from './connection';
import { eventStoreLockName, eventStoreMigrations } from './migrations/event-store-migrations';
import {
  pendingMigrations,
  runMigrations,
  type MigrationsReport,
} from './migrations/migration-runner';
import { appendToStreams } from './multi-stream-append';
import { quoteIdentifier } from './postgres-schema';
import { isPglite, PreparedStatements } from './prepared-statements';
import { queryEvents } from './query';
import { readAll, readStream, readStreams } from './read';
import { getStreamMetadata, renameStreams, setStreamMetadata } from './stream-metadata';
import { checkpointsOf, subscribe } from './subscriptions';

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
  /**
   * Appends and reads as named prepared statements (default true; always off on PGlite). Turn
   * off behind a pooler in transaction mode that cannot keep prepared statements.
   */
  preparedStatements?: boolean;
  /**
   * Apply the store's pending schema migrations while connecting (default true). With false,
   * connecting fails when one is pending: run `PostgresEventStore.migrate` first (a deployment
   * whose processes may not change the schema).
   */
  migrate?: boolean;
  logger?: Logger;
}

export type PostgresMigrateOptions = Pick<
  PostgresEventStoreOptions,
  'connectionString' | 'schema' | 'logger'
>;

/**
 * The EventStore port over PostgreSQL (and PGlite served over the wire protocol). Create it
 * with `PostgresEventStore.connect(options)`, which migrates the schema first. Each concern
 * lives in a module of its own (append, multi-stream-append, read, subscriptions,
 * stream-metadata, migrations); this class puts them together on one pool.
 */
export class PostgresEventStore implements EventStore {
  readonly schema: string;
  private readonly connection: StoreConnection;
  private readonly subscriptions = new Set<Subscription>();
  private closed = false;

  private constructor(
    pool: Pool,
    private readonly options: PostgresEventStoreOptions,
    logger: Logger,
    preparedStatements: boolean,
  ) {
    this.schema = options.schema ?? 'event_store';
    this.connection = {
      pool,
      statements: new PreparedStatements(pool, preparedStatements),
      schema: this.schema,
      logger,
      signal: new CommitSignal({
        connectionString: options.connectionString,
        schema: this.schema,
        listen: options.listen !== false,
        reconnectDelayMs: options.pollIntervalMs ?? 1_000,
        logger,
      }),
    };
  }

  static async connect(options: PostgresEventStoreOptions): Promise<PostgresEventStore> {
    const idleTimeout = options.idleInTransactionTimeoutMs ?? 60_000;
    const config: PoolConfig = {
      connectionString: options.connectionString,
      max: options.poolMax ?? 10,
      // Sent in the start-up packet of every pooled connection.
      idle_in_transaction_session_timeout: Math.floor(idleTimeout),
    };
    const logger = options.logger ?? pino({ name: 'event-store' });
    const schema = options.schema ?? 'event_store';
    quoteIdentifier(schema);
    const pool = new Pool(config);
    pool.on('error', (error) =>
      logger.warn({ error: describe(error) }, 'idle event store connection failed'),
    );
    let preparedStatements: boolean;
    try {
      const migrations = { pool, schema, logger };
      if (options.migrate === false) await PostgresEventStore.checkMigrated(migrations);
      else await PostgresEventStore.runOwnMigrations(migrations);
      preparedStatements = options.preparedStatements !== false && !(await isPglite(pool));
    } catch (error) {
      await pool.end();
      throw error;
    }
    return new PostgresEventStore(pool, options, logger, preparedStatements);
  }

  /**
   * Applies the store's pending schema migrations (`<schema>.schema_migrations` records them),
   * for a `migrate` step run before the processes start.
   */
  static async migrate(options: PostgresMigrateOptions): Promise<MigrationsReport> {
    const schema = options.schema ?? 'event_store';
    return PostgresEventStore.runOwnMigrations({ ...options, schema });
  }

  private static runOwnMigrations(
    options: ({ pool: Pool } | { connectionString: string }) & { schema: string; logger?: Logger },
  ): Promise<MigrationsReport> {
    return runMigrations({
      ...options,
      migrations: eventStoreMigrations(options.schema),
      lockName: eventStoreLockName(options.schema),
    });
  }

  private static async checkMigrated(options: { pool: Pool; schema: string }): Promise<void> {
    const pending = await pendingMigrations({
      ...options,
      migrations: eventStoreMigrations(options.schema),
    });
    if (pending.length > 0) {
      throw new Error(
        `event store schema ${options.schema} lacks migration(s) ` +
          `${pending.map((m) => `${m.version} (${m.name})`).join(', ')}: run PostgresEventStore.migrate first`,
      );
    }
  }

  appendToStream(
    streamName: string,
    events: NewEvent[],
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    return appendToStream(this.connection, streamName, events, options);
  }

  /** The port's atomic multi-stream append (see EventStore.appendToStreams). */
  appendToStreams<State = unknown>(
    appends: readonly StreamAppend<State>[],
    options?: AppendToStreamsOptions<State>,
  ): Promise<StreamAppendResult[]> {
    return appendToStreams(this.connection, appends, options);
  }

  readStream(streamName: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    return readStream(this.connection, streamName, options);
  }

  readStreams(streamNames: readonly string[]): Promise<Map<string, RecordedEvent[]>> {
    return readStreams(this.connection, streamNames);
  }

  readAll(options?: ReadAllOptions): Promise<ReadAllResult> {
    return readAll(this.connection, options);
  }

  queryEvents(query: EventQuery): Promise<EventQueryResult> {
    return queryEvents(this.connection, query);
  }

  subscribe(options: SubscriptionOptions, handler: BatchHandler): Subscription {
    if (this.closed) throw new Error('the event store is closed');
    const subscription = subscribe(
      this.connection,
      {
        connectionString: this.options.connectionString,
        pollIntervalMs: this.options.pollIntervalMs ?? 1_000,
      },
      options,
      handler,
      (stopped) => this.subscriptions.delete(stopped),
    );
    this.subscriptions.add(subscription);
    return subscription;
  }

  checkpointer(): Checkpointer {
    return checkpointsOf(this.connection);
  }

  setStreamMetadata(streamName: string, metadata: StreamMetadata): Promise<void> {
    return setStreamMetadata(this.connection, streamName, metadata);
  }

  getStreamMetadata(streamName: string): Promise<StreamMetadata | undefined> {
    return getStreamMetadata(this.connection, streamName);
  }

  renameStreams(renames: readonly StreamRename[]): Promise<void> {
    return renameStreams(this.connection, renames);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
    await this.connection.signal.close();
    await this.connection.pool.end();
  }
}

export type ConnectEventStoreOptions = PostgresEventStoreOptions;

/** Opens the store of `connectionString` (its tables migrated) as the EventStore port. */
export const connectEventStore = (options: ConnectEventStoreOptions): Promise<EventStore> =>
  PostgresEventStore.connect(options);
