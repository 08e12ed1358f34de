import { createHash } from 'node:crypto';
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
 *
 * NOTIFY is sent only while another process listens: the LISTEN connections name themselves
 * (application_name), and the NOTIFY statement looks them up in pg_stat_activity. Alone, a
 * process looks again once ALONE_RECHECK_MS have passed, if it committed meanwhile, instead of
 * notifying at every commit (a round trip and a transaction per commit, for nobody). A process
 * that starts to listen says so with a NOTIFY of its own, so that the listening others notify
 * at once again; a process that does not listen learns of it at its next look.
 */
/** How long a process that found no other listener believes it before it looks again. */
export const ALONE_RECHECK_MS = 1_000;

export class CommitSignal {
  private readonly wakes = new Set<() => void>();
  private listener: Client | undefined;
  private listenRetry: NodeJS.Timeout | undefined;
  private notifier: Promise<Client> | undefined;
  /** Backend pid of our NOTIFY connection: its notifications are our own commits, heard already. */
  private notifierPid: number | undefined;
  /** Backend pid of our LISTEN connection, not another process's. */
  private listenerPid: number | undefined;
  private notifying = false;
  private notifyAgain = false;
  /** Until then no other process listened, as far as this one knows: no NOTIFY is sent. */
  private aloneUntil = 0;
  /** The look due at aloneUntil, for commits made while alone. */
  private lookAgain: NodeJS.Timeout | undefined;
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
    clearTimeout(this.lookAgain);
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
    if (Date.now() < this.aloneUntil) {
      this.lookAgain ??= setTimeout(() => {
        this.lookAgain = undefined;
        this.notifyOthers();
      }, this.aloneUntil - Date.now());
      return;
    }
    if (this.notifying) {
      this.notifyAgain = true;
      return;
    }
    this.notifying = true;
    this.notifyAgain = false;
    this.notifierClient()
      // One statement: notify when another process listens. set_config(..., true) is SET
      // LOCAL: PGlite multiplexes every connection onto one session.
      .then((client) =>
        client.query(
          `SELECT set_config('synchronous_commit', 'off', true), pg_notify($1, '')
            WHERE EXISTS (
              SELECT 1 FROM pg_stat_activity
               WHERE datname = current_database() AND application_name = $2
                 AND pid IS DISTINCT FROM $3::int)`,
          [this.channel, listenerName(this.channel), this.listenerPid ?? null],
        ),
      )
      .then(({ rowCount }) => {
        if (rowCount === 0) this.aloneUntil = Date.now() + ALONE_RECHECK_MS;
      })
      .catch((error: unknown) => {
        this.notifier = undefined;
        if (this.closed) return;
        // Once per recheck interval, not once per commit.
        this.aloneUntil = Date.now() + ALONE_RECHECK_MS;
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
      this.listenerPid = undefined;
      listener.end().catch(() => undefined);
      this.listenRetry = setTimeout(() => {
        this.listenRetry = undefined;
        if (this.wakes.size > 0) this.ensureListening();
      }, this.options.reconnectDelayMs);
    };
    listener.on('error', retry);
    listener.on('notification', (message) => {
      // This process woke its subscribers when it committed; only other processes are news.
      const from = message.processId;
      if (from !== undefined && (from === this.notifierPid || from === this.listenerPid)) return;
      this.notListeningAlone();
      this.wakeAll();
    });
    listener
      .connect()
      .then(() => {
        this.listenerPid = (listener as Client & { processID?: number }).processID ?? undefined;
        // The name by which the others' NOTIFY statements find this listener (see above).
        return listener.query(`SELECT set_config('application_name', $1, false)`, [
          listenerName(this.channel),
        ]);
      })
      .then(() => listener.query(`LISTEN ${quoteIdentifier(this.channel)}`))
      // Tells the other listeners that one more listens (see above).
      .then(() => listener.query(`NOTIFY ${quoteIdentifier(this.channel)}`))
      // Commits made while connecting were not heard: look once.
      .then(() => this.wakeAll())
      .catch(retry);
  }

  /** Another process notified: it listens too, so this one's commits are news again. */
  private notListeningAlone(): void {
    this.aloneUntil = 0;
    if (!this.lookAgain) return;
    clearTimeout(this.lookAgain);
    this.lookAgain = undefined;
    this.notifyOthers();
  }

  private get channel(): string {
    return notifyChannel(this.options.schema);
  }
}

/** application_name of a LISTEN connection: at most 63 bytes, as PostgreSQL keeps it. */
function listenerName(channel: string): string {
  const name = `listen ${channel}`;
  return name.length <= 63
    ? name
    : `listen ${createHash('sha1').update(channel).digest('hex').slice(0, 40)}`;
}

/** pg errors carry their client; logging them whole would dump the connection. */
export function describe(error: unknown): { message: string; code?: string } {
  if (error instanceof Error) {
    return { message: error.message, code: (error as { code?: string }).code };
  }
  return { message: String(error) };
}
