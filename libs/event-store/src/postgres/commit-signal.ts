import { Client } from 'pg';
import type { Logger } from 'pino';
import { notifyChannel, quoteIdentifier } from './postgres-schema';

export interface CommitSignalOptions {
  connectionString: string;
  schema: string;
  /** Whether to LISTEN for other processes' commits at all. */
  listen: boolean;
  /** Delay before reconnecting a lost LISTEN or NOTIFY connection. */
  reconnectDelayMs: number;
  logger: Logger;
}

/**
 * Tells subscribers that events were committed: at once for appends of this process, and
 * through LISTEN/NOTIFY for appends of other processes.
 *
 * NOTIFY is sent after the commit, on a connection of its own, at most one in flight (appends
 * meanwhile coalesce into the next one). Sending it inside the append transaction would
 * serialise every commit: PostgreSQL holds the notification queue lock from NOTIFY's pre-commit
 * until the commit record is flushed, which defeats group commit (8 writers measured 3-5x
 * slower). The NOTIFY transaction itself runs with synchronous_commit off: it needs an xid and a
 * commit record, but nothing depends on that record surviving a crash. The price: a crash
 * between an append's commit and its NOTIFY leaves other processes to their poll.
 */
export class CommitSignal {
  private readonly wakes = new Set<() => void>();
  private listener: Client | undefined;
  private listenRetry: NodeJS.Timeout | undefined;
  private notifier: Promise<Client> | undefined;
  /** Backend pid of our NOTIFY connection: its notifications are our own commits, heard already. */
  private notifierPid: number | undefined;
  private notifying = false;
  private notifyAgain = false;
  private closed = false;

  constructor(private readonly options: CommitSignalOptions) {}

  /** Calls `wake` after every commit signal; returns the unsubscribe function. */
  onWake(wake: () => void): () => void {
    this.wakes.add(wake);
    if (this.options.listen) this.ensureListening();
    return () => this.wakes.delete(wake);
  }

  /** This process committed events. */
  committed(): void {
    this.wakeAll();
    this.notifyOthers();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.listenRetry);
    const listener = this.listener;
    this.listener = undefined;
    const notifier = this.notifier;
    this.notifier = undefined;
    await Promise.all([
      listener?.end().catch(() => undefined),
      notifier?.then((client) => client.end()).catch(() => undefined),
    ]);
  }

  private wakeAll(): void {
    for (const wake of this.wakes) wake();
  }

  private notifyOthers(): void {
    if (this.closed) return;
    if (this.notifying) {
      this.notifyAgain = true;
      return;
    }
    this.notifying = true;
    this.notifyAgain = false;
    this.notifierClient()
      // One round trip; SET LOCAL, because PGlite multiplexes every connection onto one session.
      .then((client) =>
        client.query(
          `BEGIN; SET LOCAL synchronous_commit = off; NOTIFY ${quoteIdentifier(this.channel)}; COMMIT`,
        ),
      )
      .catch((error: unknown) => {
        this.notifier = undefined;
        if (this.closed) return;
        this.options.logger.warn(
          { error: describe(error) },
          'NOTIFY failed; subscribers elsewhere poll',
        );
      })
      .finally(() => {
        this.notifying = false;
        if (this.notifyAgain) this.notifyOthers();
      });
  }

  private notifierClient(): Promise<Client> {
    this.notifier ??= (async () => {
      const client = new Client({ connectionString: this.options.connectionString });
      client.on('error', (error) => {
        this.notifier = undefined;
        this.options.logger.warn({ error: describe(error) }, 'NOTIFY connection lost');
      });
      await client.connect();
      this.notifierPid = (client as Client & { processID?: number }).processID ?? undefined;
      return client;
    })();
    return this.notifier;
  }

  /** One LISTEN connection; on failure subscribers still poll, and it reconnects. */
  private ensureListening(): void {
    if (this.listener || this.listenRetry || this.closed) return;
    const listener = new Client({ connectionString: this.options.connectionString });
    this.listener = listener;
    const retry = (error: unknown) => {
      if (this.listener !== listener) return;
      this.options.logger.warn(
        { error: describe(error) },
        'event store LISTEN connection lost; polling until it is back',
      );
      this.listener = undefined;
      listener.end().catch(() => undefined);
      this.listenRetry = setTimeout(() => {
        this.listenRetry = undefined;
        if (this.wakes.size > 0) this.ensureListening();
      }, this.options.reconnectDelayMs);
    };
    listener.on('error', retry);
    listener.on('notification', (message) => {
      // This process woke its subscribers when it committed; only other processes are news.
      if (message.processId !== undefined && message.processId === this.notifierPid) return;
      this.wakeAll();
    });
    listener
      .connect()
      .then(() => listener.query(`LISTEN ${quoteIdentifier(this.channel)}`))
      // Commits made while connecting were not heard: look once.
      .then(() => this.wakeAll())
      .catch(retry);
  }

  private get channel(): string {
    return notifyChannel(this.options.schema);
  }
}

/** pg errors carry their client; logging them whole would dump the connection. */
export function describe(error: unknown): { message: string; code?: string } {
  if (error instanceof Error) {
    return { message: error.message, code: (error as { code?: string }).code };
  }
  return { message: String(error) };
}
