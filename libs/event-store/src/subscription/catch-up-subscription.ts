import {
  InvalidEventStoreInputError,
  type BatchHandler,
  type EventBatch,
  type ProjectedRow,
  type ReadAllOptions,
  type ReadAllResult,
  type Subscription,
  type SubscriptionOptions,
} from '../event-store';

/** What a catch-up subscription needs from an adapter. */
export interface SubscriptionSource {
  readAll(options: ReadAllOptions): Promise<ReadAllResult>;
  loadCheckpoint(name: string): Promise<string | undefined>;
  /** Stores the checkpoint and, in the same commit, the rows the batch's handler returned. */
  storeCheckpoint(name: string, checkpoint: string, rows?: readonly ProjectedRow[]): Promise<void>;
  /** Position of the last committed event matching the prefixes, or undefined when none. */
  lastPosition(streamPrefixes: string[] | undefined): Promise<string | undefined>;
  /** Negative when position a is before b. */
  comparePositions(a: string, b: string): number;
  /** Calls `wake` when new events may have been committed; returns the unsubscribe function. */
  onWake(wake: () => void): () => void;
  /** Safety-net poll when no wake-up comes. */
  pollIntervalMs: number;
  /**
   * For exclusive subscriptions: resolves with the lease on `name` once this process holds it
   * (waiting while another holds it), or undefined when `signal` aborts first.
   */
  acquireLease?(name: string, signal: AbortSignal): Promise<SubscriptionLease | undefined>;
}

/** The right to run a named subscription, held by one process at a time. */
export interface SubscriptionLease {
  /** Resolves when the lease is lost (its connection failed): another process may take it. */
  lost: Promise<void>;
  release(): Promise<void>;
}

interface CaughtUpWaiter {
  target: string;
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * Re-check intervals while committed events wait behind an older open transaction: most such
 * waits last a few milliseconds (a concurrent append committing), so the first re-checks come
 * quickly; a transaction left open longer is re-checked less and less often.
 */
const BLOCKED_RECHECK_FIRST_MS = 1;
const BLOCKED_RECHECK_MAX_MS = 50;
const DEFAULT_BATCH_SIZE = 500;

/**
 * Reads batches after the checkpoint in commit order, hands them to the handler, retries a
 * failing batch with capped exponential back-off (never skipping it), stores the checkpoint
 * (mode 'store') with the rows the handler returned, and sleeps until a wake-up or the poll
 * interval when it has caught up.
 */
export class CatchUpSubscription implements Subscription {
  private cursor: string | undefined;
  private loaded = false;
  private stopped = false;
  /** An exclusive subscription lost its lease: it stops reading and waits to hold it again. */
  private leaseLost = false;
  private leading = false;
  private readonly stopping = new AbortController();
  private wakePending = false;
  private skipStoredAt = 0;
  private checkpointStoredAt = 0;
  /** The checkpoint of handled batches not stored yet (idleCheckpointEveryMs). */
  private unstored: string | undefined;
  private blockedRecheckMs = BLOCKED_RECHECK_FIRST_MS;
  /** When the last read began, and whether it filled a page (readIntervalMs). */
  private lastReadAt = 0;
  private lastPageFull = false;
  private wakeSleeper: (() => void) | undefined;
  private waiters: CaughtUpWaiter[] = [];
  private readonly unsubscribe: () => void;
  private readonly done: Promise<void>;

  constructor(
    private readonly source: SubscriptionSource,
    private readonly options: SubscriptionOptions,
    private readonly handler: BatchHandler,
    private readonly onStopped: () => void = () => undefined,
  ) {
    if (!options.name) throw new Error('a subscription needs a durable name');
    this.unsubscribe = source.onWake(() => this.wake());
    this.done = this.run();
  }

  async caughtUp(): Promise<void> {
    if (this.stopped) throw new Error(`subscription ${this.options.name} is stopped`);
    const target = await this.source.lastPosition(this.options.streamPrefixes);
    if (target === undefined || this.reached(target)) return;
    return new Promise((resolve, reject) => this.waiters.push({ target, resolve, reject }));
  }

  private get batchSize(): number {
    return this.options.batchSize ?? DEFAULT_BATCH_SIZE;
  }

  /** False while an exclusive subscription waits for another process to let go of its name. */
  get active(): boolean {
    return this.leading && !this.stopped;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    this.wake();
    this.unsubscribe();
    await this.done;
    this.onStopped();
    for (const waiter of this.waiters.splice(0)) {
      waiter.reject(new Error(`subscription ${this.options.name} stopped before catching up`));
    }
  }

  private async run(): Promise<void> {
    if (!this.options.exclusive) {
      this.leading = true;
      return this.follow();
    }
    if (!this.source.acquireLease) {
      throw new Error(`this store cannot keep subscription ${this.options.name} exclusive`);
    }
    while (!this.stopped) {
      const lease = await this.source.acquireLease(this.options.name, this.stopping.signal);
      if (!lease) return;
      this.leaseLost = false;
      this.leading = true;
      void lease.lost.then(() => {
        this.leaseLost = true;
        this.wake();
      });
      try {
        await this.follow();
      } finally {
        this.leading = false;
        this.loaded = false;
        await lease.release().catch((error: unknown) => this.options.onError?.(error, 1));
      }
    }
  }

  /** The catch-up loop, then the checkpoint it left for later, if any. */
  private async follow(): Promise<void> {
    try {
      await this.followFromCheckpoint();
    } finally {
      if (this.unstored !== undefined) await this.storeHandled(this.unstored);
    }
  }

  /** The catch-up loop, from the stored checkpoint, until stopped or the lease is lost. */
  private async followFromCheckpoint(): Promise<void> {
    const loaded = await this.retrying(() => this.loadCheckpoint());
    if (!loaded) return;
    this.cursor = loaded.value;
    this.loaded = true;
    while (!this.halted) {
      if (!(await this.waitForReadInterval())) return;
      this.wakePending = false;
      const read = await this.retrying(() =>
        this.source.readAll({
          after: this.cursor,
          maxCount: this.batchSize,
          streamPrefixes: this.options.streamPrefixes,
          eventTypes: this.options.eventTypes,
        }),
      );
      if (!read) return;
      const result = read.value;
      this.lastPageFull = result.events.length >= this.batchSize;
      if (result.events.length === 0) {
        if (result.next !== undefined && result.next !== this.cursor) {
          if (!(await this.skipTo(result.next))) return;
        }
        this.settleWaiters();
        await this.sleepUntilWake(this.idleDelay(result.blocked));
        continue;
      }
      this.blockedRecheckMs = BLOCKED_RECHECK_FIRST_MS;
      const batch: EventBatch = { events: result.events, checkpoint: result.next! };
      const handled = await this.retrying(() => this.handle(batch));
      if (!handled) return;
      if (handled.value === 'committed') {
        this.checkpointStoredAt = Date.now();
        this.unstored = undefined;
      } else if (this.options.checkpointing?.mode !== 'handler') {
        if (this.mayDeferCheckpoint()) this.unstored = batch.checkpoint;
        else if (!(await this.storeHandled(batch.checkpoint))) return;
      }
      this.cursor = batch.checkpoint;
      this.settleWaiters();
      // A page that was not full held everything readable then; what came since either woke
      // us or waits behind the horizon, which the read said (`blocked`): no read before then.
      if (!this.lastPageFull && !this.wakePending && !this.halted) {
        await this.sleepUntilWake(this.idleDelay(result.blocked));
      }
    }
  }

  /**
   * Holds the next read until `readIntervalMs` has passed since the last one began (not after
   * a full page: a backlog is read at full speed). False when halted meanwhile.
   */
  private async waitForReadInterval(): Promise<boolean> {
    const interval = this.options.readIntervalMs ?? 0;
    if (interval > 0 && !this.lastPageFull) {
      // A timer counts from the event loop's cached clock, which a busy tick leaves behind
      // Date.now(): it can fire a few ms early, so the wait is checked again.
      let wait = this.lastReadAt + interval - Date.now();
      while (wait > 0 && !this.halted) {
        await this.sleepUntilWake(wait, true);
        wait = this.lastReadAt + interval - Date.now();
      }
    }
    this.lastReadAt = Date.now();
    return !this.halted;
  }

  /**
   * Runs the handler; rows it returns are stored with the checkpoint, in one commit, so that a
   * failure of either runs the handler again: 'committed'. Otherwise 'handled'.
   */
  private async handle(batch: EventBatch): Promise<'handled' | 'committed'> {
    const rows = projectedRows(await this.handler(batch));
    if (!rows) return 'handled';
    if (this.options.checkpointing?.mode === 'handler') {
      throw new InvalidEventStoreInputError(
        `subscription ${this.options.name} stores its own checkpoint: its handler cannot return rows`,
      );
    }
    await this.source.storeCheckpoint(this.options.name, batch.checkpoint, rows);
    return 'committed';
  }

  /**
   * How long to wait after a read that was not a full page. Nothing wakes us when the
   * transaction holding the horizon ends, so events the read saw waiting behind it (`blocked`,
   * in the read's own snapshot) are re-checked soon, and less often the longer they wait.
   */
  private idleDelay(blocked: boolean): number {
    if (!blocked) {
      this.blockedRecheckMs = BLOCKED_RECHECK_FIRST_MS;
      return this.source.pollIntervalMs;
    }
    const delay = this.blockedRecheckMs;
    this.blockedRecheckMs = Math.min(delay * 2, BLOCKED_RECHECK_MAX_MS);
    return delay;
  }

  /** Whether a batch without rows may leave its checkpoint for later (idleCheckpointEveryMs). */
  private mayDeferCheckpoint(): boolean {
    const checkpointing = this.options.checkpointing;
    const every = checkpointing?.mode === 'store' ? checkpointing.idleCheckpointEveryMs : undefined;
    return !this.halted && every !== undefined && Date.now() - this.checkpointStoredAt < every;
  }

  /** Saves the checkpoint of a handled batch; once even while stopping, to spare a replay. */
  private async storeHandled(checkpoint: string): Promise<boolean> {
    const store = async () => {
      await this.source.storeCheckpoint(this.options.name, checkpoint);
      this.checkpointStoredAt = Date.now();
      this.unstored = undefined;
    };
    if (!this.halted) return (await this.retrying(store)) !== undefined;
    await store().catch((error: unknown) => this.options.onError?.(error, 1));
    return false;
  }

  /**
   * A filtered read moved past events of other streams only. Mode 'store' saves that, at most
   * once per poll interval (losing it costs one rescan); mode 'handler' keeps it in memory,
   * since there is no batch for the handler to store it with.
   */
  private async skipTo(position: string): Promise<boolean> {
    this.cursor = position;
    if (this.options.checkpointing?.mode === 'handler') return true;
    if (Date.now() - this.skipStoredAt < this.source.pollIntervalMs) return true;
    this.skipStoredAt = Date.now();
    return (
      (await this.retrying(() => this.source.storeCheckpoint(this.options.name, position))) !==
      undefined
    );
  }

  private loadCheckpoint(): Promise<string | undefined> {
    const checkpointing = this.options.checkpointing;
    return checkpointing?.mode === 'handler'
      ? checkpointing.checkpointer.load(this.options.name)
      : this.source.loadCheckpoint(this.options.name);
  }

  /**
   * Runs `work` until it succeeds (resolves `{ value }`) or the subscription stops (resolves
   * undefined), reporting each failure and backing off exponentially up to the cap.
   */
  private async retrying<T>(work: () => Promise<T>): Promise<{ value: T } | undefined> {
    const initial = this.options.retry?.initialDelayMs ?? 100;
    const cap = this.options.retry?.maxDelayMs ?? 30_000;
    for (let attempt = 1; !this.halted; attempt++) {
      try {
        return { value: await work() };
      } catch (error) {
        this.options.onError?.(error, attempt);
        await this.sleepUntilWake(Math.min(initial * 2 ** (attempt - 1), cap), true);
      }
    }
    return undefined;
  }

  /** Stopped, or an exclusive subscription that lost its lease. */
  private get halted(): boolean {
    return this.stopped || this.leaseLost;
  }

  /** Resolves true when woken, false on timeout. `onlyStop`: ignore new-event wake-ups. */
  private sleepUntilWake(ms: number, onlyStop = false): Promise<boolean> {
    if (this.halted || (!onlyStop && this.wakePending)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wakeSleeper = undefined;
        resolve(false);
      }, ms);
      this.wakeSleeper = () => {
        if (onlyStop && !this.halted) return;
        clearTimeout(timer);
        this.wakeSleeper = undefined;
        resolve(true);
      };
    });
  }

  private wake(): void {
    this.wakePending = true;
    this.wakeSleeper?.();
  }

  private reached(target: string): boolean {
    return (
      this.loaded &&
      this.cursor !== undefined &&
      this.source.comparePositions(this.cursor, target) >= 0
    );
  }

  private settleWaiters(): void {
    this.waiters = this.waiters.filter((waiter) => {
      if (!this.reached(waiter.target)) return true;
      waiter.resolve();
      return false;
    });
  }
}

/** The rows a handler returned (`{ rows }`), or undefined when it returned none. */
function projectedRows(result: unknown): readonly ProjectedRow[] | undefined {
  if (result === undefined || result === null || typeof result !== 'object') return undefined;
  if (!('rows' in result)) return undefined;
  const { rows } = result as { rows: unknown };
  if (!Array.isArray(rows)) {
    throw new InvalidEventStoreInputError('a subscription handler returned rows that are no array');
  }
  return rows as readonly ProjectedRow[];
}
