import { GroupCommit } from './group-commit';

const tick = (ms = 5) => new Promise((resolve) => setTimeout(resolve, ms));

/** A writer that records its batches and answers each item with its double. */
function recordingWriter() {
  const batches: number[][] = [];
  let release: (() => void) | undefined;
  const write = async (items: number[]) => {
    batches.push(items);
    if (release === undefined) await new Promise<void>((resolve) => (release = resolve));
    return items.map((item) => item * 2);
  };
  return { batches, write, releaseAll: () => release?.() };
}

describe('GroupCommit', () => {
  it('writes items submitted together as one batch and answers each with its own result', async () => {
    const batches: number[][] = [];
    const group = new GroupCommit<number, number>(
      async (items) => {
        batches.push(items);
        return items.map((item) => item * 2);
      },
      { maxInFlight: 1, maxBatch: 10 },
    );

    const results = await Promise.all([1, 2, 3].map((item) => group.submit(item)));

    expect(batches).toEqual([[1, 2, 3]]);
    expect(results).toEqual([2, 4, 6]);
  });

  it('collects the items arriving while a batch is written into the next one', async () => {
    const writer = recordingWriter();
    const group = new GroupCommit<number, number>(writer.write, { maxInFlight: 1, maxBatch: 10 });

    const first = group.submit(1);
    await tick();
    const later = [2, 3, 4].map((item) => group.submit(item));
    await tick();
    expect(writer.batches).toEqual([[1]]);
    writer.releaseAll();

    expect(await Promise.all([first, ...later])).toEqual([2, 4, 6, 8]);
    expect(writer.batches).toEqual([[1], [2, 3, 4]]);
  });

  it('starts a full batch at once, without waiting for the linger time', async () => {
    const batches: number[][] = [];
    const group = new GroupCommit<number, number>(
      async (items) => {
        batches.push(items);
        return items;
      },
      { maxInFlight: 2, maxBatch: 2, lingerMs: 60_000 },
    );

    const full = Promise.all([group.submit(1), group.submit(2)]);

    expect(await full).toEqual([1, 2]);
    expect(batches).toEqual([[1, 2]]);
  });

  it('waits the linger time for more items before starting a batch that is not full', async () => {
    const batches: number[][] = [];
    const group = new GroupCommit<number, number>(
      async (items) => {
        batches.push(items);
        return items;
      },
      { maxInFlight: 1, maxBatch: 10, lingerMs: 30 },
    );

    const first = group.submit(1);
    await tick(5);
    const second = group.submit(2);

    expect(await Promise.all([first, second])).toEqual([1, 2]);
    expect(batches).toEqual([[1, 2]]);
  });

  it('rejects only the item the writer answered with an error', async () => {
    const group = new GroupCommit<number, number>(
      async (items) => items.map((item) => (item === 2 ? new Error('conflict') : item)),
      { maxInFlight: 1, maxBatch: 10 },
    );

    const results = await Promise.allSettled([1, 2, 3].map((item) => group.submit(item)));

    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });

  it('rejects every item of a batch whose write throws, and keeps writing the next ones', async () => {
    let calls = 0;
    const group = new GroupCommit<number, number>(
      async (items) => {
        if (++calls === 1) throw new Error('connection refused');
        return items;
      },
      { maxInFlight: 1, maxBatch: 10 },
    );

    const failed = await Promise.allSettled([group.submit(1), group.submit(2)]);
    const next = await group.submit(3);

    expect(failed.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    expect(next).toBe(3);
  });

  it('writes no more than maxInFlight batches at once', async () => {
    let running = 0;
    let most = 0;
    const group = new GroupCommit<number, number>(
      async (items) => {
        most = Math.max(most, ++running);
        await tick(10);
        running--;
        return items;
      },
      { maxInFlight: 2, maxBatch: 1 },
    );

    await Promise.all([1, 2, 3, 4, 5].map((item) => group.submit(item)));

    expect(most).toBe(2);
  });
});

describe('GroupCommit with keys', () => {
  it('never writes one key in two batches at once, and keeps each key in order', async () => {
    const writer = recordingWriter();
    const group = new GroupCommit<number, number>(writer.write, {
      maxInFlight: 2,
      maxBatch: 10,
      keyOf: (item) => (item < 100 ? 'a' : 'b'),
    });

    const first = group.submit(1);
    await tick();
    expect(writer.batches).toEqual([[1]]);
    // While key a is written, its next items wait; key b goes into the second batch at once.
    const later = [2, 101, 3, 102].map((item) => group.submit(item));
    await tick();
    expect(writer.batches).toEqual([[1], [101, 102]]);
    writer.releaseAll();

    expect(await Promise.all([first, ...later])).toEqual([2, 4, 202, 6, 204]);
    expect(writer.batches).toEqual([[1], [101, 102], [2, 3]]);
  });

  it('puts several items of one key into one batch, in the order submitted', async () => {
    const batches: number[][] = [];
    const group = new GroupCommit<number, number>(
      async (items) => {
        batches.push(items);
        return items;
      },
      { maxInFlight: 1, maxBatch: 10, keyOf: () => 'job' },
    );
    await Promise.all([1, 2, 3].map((item) => group.submit(item)));
    expect(batches).toEqual([[1, 2, 3]]);
  });
});
