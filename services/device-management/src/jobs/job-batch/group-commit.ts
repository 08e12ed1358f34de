export interface GroupCommitOptions {
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
  private readonly waiting: Waiting<Item, Result>[] = [];
  private inFlight = 0;
  private timer: NodeJS.Immediate | NodeJS.Timeout | undefined;

  constructor(
    private readonly write: (items: Item[]) => Promise<Array<Result | Error>>,
    private readonly options: GroupCommitOptions,
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
      void this.run(this.waiting.splice(0, this.options.maxBatch));
    }
  }

  private async run(batch: Waiting<Item, Result>[]): Promise<void> {
    this.inFlight++;
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
      this.inFlight--;
      this.startBatches();
    }
  }
}
