export interface GroupCommitOptions<Item> {
  /** Batches written at once: one is in the database while the next one fills. */
  maxInFlight: number;
  /** Items per batch at most: a batch this full starts at once. */
  maxBatch: number;
  /**
   * How long the first waiting item waits for others before its batch starts (0: the items
   * of the same turn of the event loop only). Fewer, fuller batches: fewer commits, and
   * fewer wake-ups of the event store's subscribers, which read after each commit.
   */
  lingerMs?: number;
  /**
   * Items of one key are written in the order submitted, never in two batches at once: an item
   * whose key is in a batch being written waits for the next batch (with the later items of its
   * key). Items of one key may share a batch. Without it, any item goes into any batch.
   */
  keyOf?: (item: Item) => string;
}

interface Waiting<Item, Result> {
  item: Item;
  resolve: (result: Result) => void;
  reject: (error: unknown) => void;
}

/**
 * Application-level group commit: items submitted while the writer is busy wait, and go
 * together into its next batch, so that N concurrent callers cost one transaction instead of
 * N. Items submitted in the same turn of the event loop (one socket read of MQTT messages)
 * start out together. The writer answers per item: a result, or an Error for that item
 * alone; when it throws, every item of the batch gets the error.
 */
export class GroupCommit<Item, Result> {
  private waiting: Waiting<Item, Result>[] = [];
  private inFlight = 0;
  /** Keys of the items in the batches being written. */
  private readonly writing = new Map<string, number>();
  private timer: NodeJS.Immediate | NodeJS.Timeout | undefined;

  constructor(
    private readonly write: (items: Item[]) => Promise<Array<Result | Error>>,
    private readonly options: GroupCommitOptions<Item>,
  ) {
    if (options.maxInFlight < 1 || options.maxBatch < 1) {
      throw new Error('maxInFlight and maxBatch must be >= 1');
    }
  }

  submit(item: Item): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (this.waiting.length >= this.options.maxBatch) this.startBatches();
      else this.timer ??= this.later(() => this.startBatches());
    });
  }

  private later(start: () => void): NodeJS.Immediate | NodeJS.Timeout {
    const lingerMs = this.options.lingerMs ?? 0;
    return lingerMs > 0 ? setTimeout(start, lingerMs) : setImmediate(start);
  }

  private startBatches(): void {
    if (this.timer) {
      clearTimeout(this.timer as NodeJS.Timeout);
      clearImmediate(this.timer as NodeJS.Immediate);
      this.timer = undefined;
    }
    while (this.inFlight < this.options.maxInFlight && this.waiting.length > 0) {
      const batch = this.nextBatch();
      if (batch.length === 0) return;
      void this.run(batch);
    }
  }

  /** The oldest waiting items that may go now, at most maxBatch, in order. */
  private nextBatch(): Waiting<Item, Result>[] {
    const { keyOf, maxBatch } = this.options;
    if (!keyOf) return this.waiting.splice(0, maxBatch);
    const batch: Waiting<Item, Result>[] = [];
    const held: Waiting<Item, Result>[] = [];
    // A key once held stays held for the rest of this pass: its items keep their order.
    const heldKeys = new Set<string>();
    for (const waiting of this.waiting) {
      const key = keyOf(waiting.item);
      if (batch.length < maxBatch && !this.writing.has(key) && !heldKeys.has(key)) {
        batch.push(waiting);
      } else {
        heldKeys.add(key);
        held.push(waiting);
      }
    }
    this.waiting = held;
    return batch;
  }

  private async run(batch: Waiting<Item, Result>[]): Promise<void> {
    this.inFlight++;
    const keys = this.options.keyOf ? batch.map(({ item }) => this.options.keyOf!(item)) : [];
    for (const key of keys) this.writing.set(key, (this.writing.get(key) ?? 0) + 1);
    try {
      const results = await this.write(batch.map((waiting) => waiting.item));
      batch.forEach(({ resolve, reject }, index) => {
        const result = results[index];
        if (result instanceof Error) reject(result);
        else resolve(result);
      });
    } catch (error) {
      for (const { reject } of batch) reject(error);
    } finally {
      for (const key of keys) {
        const left = this.writing.get(key)! - 1;
        if (left === 0) this.writing.delete(key);
        else this.writing.set(key, left);
      }
      this.inFlight--;
      this.startBatches();
    }
  }
}
