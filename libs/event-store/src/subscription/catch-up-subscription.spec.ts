import type { EventBatch, ReadAllResult, RecordedEvent, SubscriptionOptions } from '../event-store';
import { CatchUpSubscription, type SubscriptionSource } from './catch-up-subscription';

/** Longer than any test may take: an event that waits for the poll never arrives in time. */
const POLL_NEVER_MS = 10 * 60_000;

function recorded(position: number): RecordedEvent {
  return {
    id: `event-${position}`,
    streamName: 'job-1',
    type: 'Happened',
    data: {},
    metadata: {},
    revision: position - 1,
    position: String(position),
    recordedAt: new Date(),
  };
}

/**
 * A store whose reads are scripted: each readAll takes the next page (then nothing). Nothing
 * ever wakes the subscription: only its own re-checks can find events.
 */
function scriptedSource(pages: ReadAllResult[]) {
  const calls: string[] = [];
  const source: SubscriptionSource = {
    readAll: async ({ after }) => {
      calls.push('read');
      return pages.shift() ?? { events: [], next: after, blocked: false };
    },
    loadCheckpoint: async () => undefined,
    storeCheckpoint: async () => undefined,
    lastPosition: async () => undefined,
    comparePositions: (a, b) => Number(a) - Number(b),
    onWake: () => () => undefined,
    pollIntervalMs: POLL_NEVER_MS,
  };
  return { source, calls };
}

function subscribe(source: SubscriptionSource, options: Partial<SubscriptionOptions> = {}) {
  const batches: EventBatch[] = [];
  let delivered!: () => void;
  const firstBatch = new Promise<void>((resolve) => (delivered = resolve));
  const subscription = new CatchUpSubscription(
    source,
    {
      name: 'test',
      ...options,
      checkpointing: {
        mode: 'handler',
        checkpointer: { load: async () => undefined },
      },
    },
    async (batch) => {
      batches.push(batch);
      delivered();
    },
  );
  return { subscription, batches, firstBatch };
}

describe('CatchUpSubscription after a read that was not a full page', () => {
  it('waits for a wake-up or the poll when the read saw no events waiting', async () => {
    const { source, calls } = scriptedSource([{ events: [], next: undefined, blocked: false }]);
    const { subscription, batches } = subscribe(source);

    await new Promise((resolve) => setTimeout(resolve, 100));
    await subscription.stop();

    expect(batches).toHaveLength(0);
    expect(calls).toEqual(['read']);
  });

  it('hands over the events of a page that was not full, then waits instead of reading again', async () => {
    const { source, calls } = scriptedSource([
      { events: [recorded(1)], next: '1', blocked: false },
    ]);
    const { subscription, batches, firstBatch } = subscribe(source);

    await firstBatch;
    await new Promise((resolve) => setTimeout(resolve, 100));
    await subscription.stop();

    expect(batches).toHaveLength(1);
    expect(calls).toEqual(['read']);
  });

  it('reads again soon, and again, while a read saw events waiting behind an open transaction', async () => {
    const { source, calls } = scriptedSource([
      { events: [], next: undefined, blocked: true },
      { events: [], next: undefined, blocked: true },
      { events: [recorded(1)], next: '1', blocked: false },
    ]);
    const { subscription, batches, firstBatch } = subscribe(source);

    await firstBatch;
    await subscription.stop();

    expect(batches).toHaveLength(1);
    expect(calls.slice(0, 3)).toEqual(['read', 'read', 'read']);
  });
});

describe('CatchUpSubscription with readIntervalMs', () => {
  it('reads the commits of one interval in one read, however many wake-ups they brought', async () => {
    const INTERVAL_MS = 300;
    const { source, calls } = scriptedSource([
      { events: [], next: undefined, blocked: false },
      { events: [recorded(1), recorded(2), recorded(3)], next: '3', blocked: false },
    ]);
    let wake!: () => void;
    source.onWake = (callback) => {
      wake = callback;
      return () => undefined;
    };
    const readAt: number[] = [];
    const read = source.readAll;
    source.readAll = (options) => {
      readAt.push(Date.now());
      return read(options);
    };
    const { subscription, batches, firstBatch } = subscribe(source, {
      readIntervalMs: INTERVAL_MS,
    });
    while (calls.length < 1) await new Promise((resolve) => setImmediate(resolve));

    for (let commit = 0; commit < 3; commit++) {
      wake();
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    await firstBatch;
    await subscription.stop();

    expect(batches.map((batch) => batch.events.length)).toEqual([3]);
    expect(calls.filter((call) => call === 'read')).toHaveLength(2);
    expect(readAt[1] - readAt[0]).toBeGreaterThanOrEqual(INTERVAL_MS - 5);
  });
});

describe('CatchUpSubscription with idleCheckpointEveryMs', () => {
  it('stores the first checkpoint, leaves the next ones of batches without rows for later, stores rows at once and the last on stop', async () => {
    const pages: ReadAllResult[] = [1, 2, 3, 4].map((position) => ({
      events: [recorded(position)],
      next: String(position),
      blocked: false,
    }));
    const { source } = scriptedSource(pages);
    const stored: string[] = [];
    source.storeCheckpoint = async (_name, checkpoint, rows) =>
      void stored.push(rows ? `${checkpoint} with ${rows.length} row(s)` : checkpoint);
    let handled = 0;
    let allHandled!: () => void;
    const done = new Promise<void>((resolve) => (allHandled = resolve));
    const subscription = new CatchUpSubscription(
      source,
      {
        name: 'test',
        batchSize: 1,
        checkpointing: { mode: 'store', idleCheckpointEveryMs: POLL_NEVER_MS },
      },
      async (batch) => {
        if (++handled === 4) allHandled();
        return batch.checkpoint === '3'
          ? { rows: [{ table: 't', key: { id: 3 }, values: {}, revision: 0 }] }
          : undefined;
      },
    );

    await done;
    await subscription.stop();

    expect(stored).toEqual(['1', '3 with 1 row(s)', '4']);
  });
});
