import { randomUUID } from 'node:crypto';
import {
  DuplicateEventIdsError,
  InvalidEventStoreInputError,
  WrongExpectedRevisionError,
  type BatchHandler,
  type EventBatch,
  type EventStore,
  type NewEvent,
  type RecordedEvent,
  type SubscriptionOptions,
} from '../event-store';
import {
  createReadModelTables,
  events,
  waitFor,
  type ContractContext,
  type ReadModelQuery,
} from './contract-support';
import { describeEventQuery } from './event-query.contract';
import { describeMultiStreamAppend } from './multi-stream-append.contract';
import { describeProjectionSubscriptions } from './projection-subscription.contract';

/** What the contract suite needs from an adapter under test. */
export interface EventStoreContractFixture {
  store: EventStore;
  /**
   * SQL on the database the store writes projected rows to: the suite creates its read-model
   * tables (schema `contract_views`) and reads the rows back.
   */
  readModel: ReadModelQuery;
  /**
   * Appends inside a transaction that stays open until `commit()`: the late-committing writer.
   * Leave it out where transactions cannot overlap (PGlite serialises them).
   */
  holdAppend?: (streamName: string, events: NewEvent[]) => Promise<{ commit(): Promise<void> }>;
  /** Closes the store and deletes what it stored. */
  dispose(): Promise<void>;
}

export interface EventStoreContractOptions {
  /** Events in the large-stream test (default 10,000). */
  largeStreamSize?: number;
  /** Concurrent writers and single-event appends per writer (default 8 x 60). */
  writers?: number;
  eventsPerWriter?: number;
}

/**
 * One behaviour suite for every EventStore adapter. Tests share one store and isolate
 * themselves by stream prefix, so the suite also runs against a store that holds other data.
 */
export function describeEventStoreContract(
  adapterName: string,
  setup: () => Promise<EventStoreContractFixture>,
  options: EventStoreContractOptions = {},
): void {
  describe(`EventStore contract: ${adapterName}`, () => {
    let fixture: EventStoreContractFixture;
    let store: EventStore;
    let prefix: string;
    const subscriptions: { stop(): Promise<void> }[] = [];

    beforeAll(async () => {
      fixture = await setup();
      store = fixture.store;
      await createReadModelTables(fixture.readModel);
    });
    afterAll(async () => {
      await fixture?.dispose();
    });
    beforeEach(() => {
      prefix = `t${randomUUID().slice(0, 8)}-`;
    });
    afterEach(async () => {
      await Promise.all(subscriptions.splice(0).map((subscription) => subscription.stop()));
    });

    /** A subscription the test tears down even when it fails. */
    function subscribe(
      subscriptionOptions: Omit<SubscriptionOptions, 'name'> & { name?: string },
      handler: BatchHandler,
    ) {
      const subscription = store.subscribe(
        { name: `${prefix}sub`, streamPrefixes: [prefix], ...subscriptionOptions },
        handler,
      );
      subscriptions.push(subscription);
      return subscription;
    }

    const context = (): ContractContext => ({
      store,
      prefix,
      readModel: fixture.readModel,
      subscribe,
    });

    function collector() {
      const seen: RecordedEvent[] = [];
      return { seen, handler: async (batch: EventBatch) => void seen.push(...batch.events) };
    }

    describe('expected revision', () => {
      it('no_stream accepts a new stream and rejects an existing one', async () => {
        const stream = `${prefix}a`;
        const first = await store.appendToStream(stream, events(2), {
          expectedRevision: 'no_stream',
        });
        expect(first.nextExpectedRevision).toBe(1);
        await expect(
          store.appendToStream(stream, events(1), { expectedRevision: 'no_stream' }),
        ).rejects.toMatchObject({ name: 'WrongExpectedRevisionError', actual: 1 });
        expect(await store.readStream(stream)).toHaveLength(2);
      });

      it('stream_exists rejects a new stream and accepts an existing one', async () => {
        const stream = `${prefix}a`;
        const error = await store
          .appendToStream(stream, events(1), { expectedRevision: 'stream_exists' })
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(WrongExpectedRevisionError);
        expect(error).toMatchObject({ expected: 'stream_exists', actual: 'no_stream' });
        expect(await store.readStream(stream)).toEqual([]);
        await store.appendToStream(stream, events(1));
        const next = await store.appendToStream(stream, events(1), {
          expectedRevision: 'stream_exists',
        });
        expect(next.nextExpectedRevision).toBe(1);
      });

      it('an exact revision must match the last event of the stream', async () => {
        const stream = `${prefix}a`;
        await expect(
          store.appendToStream(stream, events(1), { expectedRevision: 0 }),
        ).rejects.toMatchObject({ actual: 'no_stream' });
        const first = await store.appendToStream(stream, events(3));
        expect(first.nextExpectedRevision).toBe(2);
        await expect(
          store.appendToStream(stream, events(1), { expectedRevision: 1 }),
        ).rejects.toMatchObject({ expected: 1, actual: 2 });
        const next = await store.appendToStream(stream, events(1), { expectedRevision: 2 });
        expect(next.nextExpectedRevision).toBe(3);
        expect((await store.readStream(stream)).map((e) => e.revision)).toEqual([0, 1, 2, 3]);
      });

      it('any appends whatever the stream holds', async () => {
        const stream = `${prefix}a`;
        expect((await store.appendToStream(stream, events(1))).nextExpectedRevision).toBe(0);
        const next = await store.appendToStream(stream, events(1), { expectedRevision: 'any' });
        expect(next.nextExpectedRevision).toBe(1);
      });

      it('lets exactly one of two racing writers with the same expected revision win', async () => {
        const stream = `${prefix}a`;
        await store.appendToStream(stream, events(1));
        const outcomes = await Promise.allSettled(
          [0, 1, 2, 3].map(() => store.appendToStream(stream, events(1), { expectedRevision: 0 })),
        );
        expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
        for (const outcome of outcomes.filter((o) => o.status === 'rejected')) {
          expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(
            WrongExpectedRevisionError,
          );
        }
        expect(await store.readStream(stream)).toHaveLength(2);
      });
    });

    describe('idempotent retries', () => {
      it('appending the same event ids again returns the same result and stores nothing', async () => {
        const stream = `${prefix}a`;
        const batch = events(3);
        const first = await store.appendToStream(stream, batch, { expectedRevision: 'no_stream' });
        const retry = await store.appendToStream(stream, batch, { expectedRevision: 'no_stream' });
        expect(retry).toEqual(first);
        await store.appendToStream(stream, events(1));
        const lateRetry = await store.appendToStream(stream, batch, {
          expectedRevision: 'no_stream',
        });
        expect(lateRetry).toEqual(first);
        expect(await store.readStream(stream)).toHaveLength(4);
      });

      it('rejects a partial overlap and ids stored in another stream, writing nothing', async () => {
        const stream = `${prefix}a`;
        const batch = events(2);
        await store.appendToStream(stream, batch);
        const overlap = [batch[1], ...events(1)];
        await expect(store.appendToStream(stream, overlap)).rejects.toBeInstanceOf(
          DuplicateEventIdsError,
        );
        await expect(store.appendToStream(`${prefix}b`, batch)).rejects.toBeInstanceOf(
          DuplicateEventIdsError,
        );
        expect(await store.readStream(stream)).toHaveLength(2);
        expect(await store.readStream(`${prefix}b`)).toEqual([]);
      });

      it('rejects bad input with a clear error and writes nothing', async () => {
        const stream = `${prefix}a`;
        const bad = [...events(1), { id: 'not-a-uuid', type: 'Bad', data: {} }];
        await expect(store.appendToStream(stream, bad)).rejects.toBeInstanceOf(
          InvalidEventStoreInputError,
        );
        await expect(store.appendToStream(stream, [{ ...events(1)[0], type: '' }])).rejects.toThrow(
          /type/,
        );
        await expect(store.readAll({ after: 'garbage' })).rejects.toBeInstanceOf(
          InvalidEventStoreInputError,
        );
        expect(await store.readStream(stream)).toEqual([]);
      });
    });

    describe('reading', () => {
      it('reads a stream forwards and backwards with revision bounds and counts', async () => {
        const stream = `${prefix}a`;
        const written = events(10);
        await store.appendToStream(stream, written);
        const forwards = await store.readStream(stream);
        expect(forwards.map((e) => e.id)).toEqual(written.map((e) => e.id));
        expect(forwards.map((e) => e.revision)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        const page = await store.readStream(stream, { fromRevision: 4, maxCount: 3 });
        expect(page.map((e) => e.revision)).toEqual([4, 5, 6]);
        const backwards = await store.readStream(stream, { direction: 'backwards', maxCount: 3 });
        expect(backwards.map((e) => e.revision)).toEqual([9, 8, 7]);
        const from = await store.readStream(stream, { direction: 'backwards', fromRevision: 2 });
        expect(from.map((e) => e.revision)).toEqual([2, 1, 0]);
        expect(await store.readStream(`${prefix}missing`)).toEqual([]);
      });

      it('keeps type, data, metadata and the time of recording', async () => {
        const stream = `${prefix}a`;
        const before = Date.now();
        const event: NewEvent = {
          id: randomUUID(),
          type: 'UpdateRequested',
          data: { targetVersion: '2.1.0', nested: { list: [1, 'two', null] } },
          metadata: { actor: 'user:alice', correlationId: 'c-1', causationId: 'm-1' },
        };
        await store.appendToStream(stream, [event]);
        const [read] = await store.readStream(stream);
        expect(read).toMatchObject({ ...event, streamName: stream, revision: 0 });
        expect(read.recordedAt).toBeInstanceOf(Date);
        expect(read.recordedAt.getTime()).toBeGreaterThanOrEqual(before - 5_000);
        expect(typeof read.position).toBe('string');
      });

      it('pages through readAll in order, filtered by stream prefix', async () => {
        const a = events(5);
        const b = events(4);
        await store.appendToStream(`${prefix}a-1`, a.slice(0, 3));
        await store.appendToStream(`${prefix}b-1`, b.slice(0, 2));
        await store.appendToStream(`${prefix}a-2`, a.slice(3));
        await store.appendToStream(`${prefix}b-1`, b.slice(2));

        await untilVisible(9);
        const all = await readAllPaged({ streamPrefixes: [prefix] }, 2);
        expect(all.map((e) => e.id)).toEqual(
          [...a.slice(0, 3), ...b.slice(0, 2), ...a.slice(3), ...b.slice(2)].map((e) => e.id),
        );
        const onlyA = await readAllPaged({ streamPrefixes: [`${prefix}a-`] }, 2);
        expect(onlyA.map((e) => e.id)).toEqual(a.map((e) => e.id));
        const both = await readAllPaged({ streamPrefixes: [`${prefix}a-2`, `${prefix}b-`] }, 10);
        expect(both.map((e) => e.id)).toEqual(
          [...b.slice(0, 2), ...a.slice(3), ...b.slice(2)].map((e) => e.id),
        );
        // LIKE wildcards in a prefix are literal.
        expect((await store.readAll({ streamPrefixes: [`${prefix}%`] })).events).toEqual([]);
      });

      it('filters readAll by event type, alone or with a stream prefix', async () => {
        const typed = (type: string) => events(1).map((event) => ({ ...event, type }));
        const [ended, noise, otherEnded] = [typed('JobEnded'), events(3), typed('JobEnded')];
        await store.appendToStream(`${prefix}a-1`, [...noise, ...ended]);
        await store.appendToStream(`${prefix}b-1`, otherEnded);
        await untilVisible(5);

        const endings = await readAllPaged(
          { streamPrefixes: [prefix], eventTypes: ['JobEnded'] },
          1,
        );
        expect(endings.map((e) => e.id)).toEqual([...ended, ...otherEnded].map((e) => e.id));
        const onlyA = await readAllPaged(
          { streamPrefixes: [`${prefix}a-`], eventTypes: ['JobEnded', 'Missing'] },
          10,
        );
        expect(onlyA.map((e) => e.id)).toEqual(ended.map((e) => e.id));
        // Without a prefix, over every stream: at least these two, and nothing of another type.
        const anywhere = await store.readAll({ eventTypes: ['JobEnded'] });
        expect(anywhere.events.every((e) => e.type === 'JobEnded')).toBe(true);
        expect(anywhere.events.map((e) => e.id)).toEqual(
          expect.arrayContaining([...ended, ...otherEnded].map((e) => e.id)),
        );
      });

      it('resumes readAll after a position returned by an append', async () => {
        const stream = `${prefix}a`;
        const first = await store.appendToStream(stream, events(2));
        const later = events(2);
        await store.appendToStream(stream, later);
        await untilVisible(4);
        const after = await store.readAll({ after: first.position, streamPrefixes: [prefix] });
        expect(after.events.map((e) => e.id)).toEqual(later.map((e) => e.id));
        const end = await store.readAll({ after: after.next, streamPrefixes: [prefix] });
        expect(end).toMatchObject({ events: [], next: after.next });
      });
    });

    it('keeps stream metadata for retention', async () => {
      const stream = `${prefix}a`;
      expect(await store.getStreamMetadata(stream)).toBeUndefined();
      await store.setStreamMetadata(stream, { maxAgeSeconds: 86_400, owner: 'ops' });
      expect(await store.getStreamMetadata(stream)).toEqual({
        maxAgeSeconds: 86_400,
        owner: 'ops',
      });
      await store.setStreamMetadata(stream, { maxCount: 10 });
      expect(await store.getStreamMetadata(stream)).toEqual({ maxCount: 10 });
    });

    describe('renaming streams (a naming-scheme migration)', () => {
      it('moves every event, its revision, position and time, and the metadata, to the new name', async () => {
        const [old1, old2] = [`${prefix}old-1`, `${prefix}old-2`];
        await store.appendToStream(old1, events(3));
        await store.appendToStream(old2, events(1));
        await store.setStreamMetadata(old1, { maxCount: 5 });
        const before = await store.readStream(old1);

        await store.renameStreams([
          { from: old1, to: `${prefix}new/1` },
          { from: old2, to: `${prefix}new/2` },
          { from: `${prefix}never-written`, to: `${prefix}new/3` },
        ]);

        expect(await store.readStream(old1)).toEqual([]);
        const after = await store.readStream(`${prefix}new/1`);
        expect(after).toEqual(before.map((event) => ({ ...event, streamName: `${prefix}new/1` })));
        expect(await store.readStream(`${prefix}new/2`)).toHaveLength(1);
        expect(await store.getStreamMetadata(`${prefix}new/1`)).toEqual({ maxCount: 5 });
        expect(await store.getStreamMetadata(old1)).toBeUndefined();
        // The stream goes on from its revision under the new name; the old name is free.
        await store.appendToStream(`${prefix}new/1`, events(1), { expectedRevision: 2 });
        await store.appendToStream(old1, events(1), { expectedRevision: 'no_stream' });
      });

      it('refuses a name that is taken, or given twice, and then renames nothing', async () => {
        const [a, b] = [`${prefix}a`, `${prefix}b`];
        await store.appendToStream(a, events(1));
        await store.appendToStream(b, events(1));
        await expect(
          store.renameStreams([
            { from: a, to: `${prefix}free` },
            { from: `${prefix}x`, to: b },
          ]),
        ).rejects.toBeInstanceOf(InvalidEventStoreInputError);
        await expect(
          store.renameStreams([
            { from: a, to: `${prefix}same` },
            { from: b, to: `${prefix}same` },
          ]),
        ).rejects.toBeInstanceOf(InvalidEventStoreInputError);
        expect(await store.readStream(a)).toHaveLength(1);
        expect(await store.readStream(`${prefix}free`)).toEqual([]);
      });

      it('brings no event to a subscription a second time', async () => {
        const { seen, handler } = collector();
        const subscription = subscribe({}, handler);
        await store.appendToStream(`${prefix}a`, events(2));
        await subscription.caughtUp();
        await store.renameStreams([{ from: `${prefix}a`, to: `${prefix}b` }]);
        await store.appendToStream(`${prefix}c`, events(1));
        await subscription.caughtUp();
        expect(seen.map((event) => event.streamName)).toEqual([
          `${prefix}a`,
          `${prefix}a`,
          `${prefix}c`,
        ]);
      });
    });

    describe('subscriptions', () => {
      it('catches up from the start, then sees new commits, in commit order', async () => {
        const old = events(5);
        await store.appendToStream(`${prefix}a`, old);
        await store.appendToStream(`other-${prefix}`, events(2));
        const { seen, handler } = collector();
        const subscription = subscribe({ batchSize: 2 }, handler);
        await subscription.caughtUp();
        expect(seen.map((e) => e.id)).toEqual(old.map((e) => e.id));
        const fresh = events(3);
        await store.appendToStream(`${prefix}b`, fresh);
        await subscription.caughtUp();
        expect(seen.map((e) => e.id)).toEqual([...old, ...fresh].map((e) => e.id));
      });

      it('delivers every event exactly once, in readAll order, under concurrent writers', async () => {
        const writers = options.writers ?? 8;
        const perWriter = options.eventsPerWriter ?? 60;
        const { seen, handler } = collector();
        const subscription = subscribe({ batchSize: 50 }, handler);
        await Promise.all(
          Array.from({ length: writers }, async (_, writer) => {
            for (let i = 0; i < perWriter; i++) {
              // Half the writers share one stream so that appends also contend on it.
              const stream = writer % 2 ? `${prefix}shared` : `${prefix}w${writer}`;
              await store.appendToStream(stream, events(1));
            }
          }),
        );
        await subscription.caughtUp();
        const ids = seen.map((e) => e.id);
        expect(new Set(ids).size).toBe(ids.length);
        expect(ids).toHaveLength(writers * perWriter);
        const ordered = await readAllPaged({ streamPrefixes: [prefix] }, 1_000);
        expect(ids).toEqual(ordered.map((e) => e.id));
      });

      it('retries a failing batch with back-off and never skips it', async () => {
        await store.appendToStream(`${prefix}a`, events(3));
        const errors: number[] = [];
        let failures = 2;
        const { seen, handler } = collector();
        const subscription = subscribe(
          {
            batchSize: 10,
            retry: { initialDelayMs: 5, maxDelayMs: 20 },
            onError: (_error, attempt) => errors.push(attempt),
          },
          async (batch) => {
            if (failures-- > 0) throw new Error('read model down');
            await handler(batch);
          },
        );
        await subscription.caughtUp();
        expect(errors).toEqual([1, 2]);
        expect(seen).toHaveLength(3);
      });

      it('resumes from the stored checkpoint after a crash, replaying only the unfinished batch', async () => {
        const written = events(9);
        await store.appendToStream(`${prefix}a`, written);
        const first: string[] = [];
        let batches = 0;
        const crashing = subscribe(
          { batchSize: 3, retry: { initialDelayMs: 1_000 } },
          async (batch) => {
            if (++batches === 2) throw new Error('crash before the checkpoint is stored');
            first.push(...batch.events.map((e) => e.id));
          },
        );
        await waitFor(() => batches >= 2);
        await crashing.stop();
        expect(first).toEqual(written.slice(0, 3).map((e) => e.id));

        const { seen, handler } = collector();
        const resumed = subscribe({ batchSize: 3 }, handler);
        await resumed.caughtUp();
        expect(seen.map((e) => e.id)).toEqual(written.slice(3).map((e) => e.id));
      });

      it('stores the checkpoint of the batch in hand when stopped', async () => {
        const written = events(4);
        await store.appendToStream(`${prefix}a`, written);
        let release!: () => void;
        const gate = new Promise<void>((resolve) => (release = resolve));
        let started = false;
        const first = subscribe({ batchSize: 2 }, async () => {
          started = true;
          await gate;
        });
        await waitFor(() => started);
        const stopping = first.stop();
        release();
        await stopping;

        const { seen, handler } = collector();
        await subscribe({ batchSize: 10 }, handler).caughtUp();
        expect(seen.map((e) => e.id)).toEqual(written.slice(2).map((e) => e.id));
      });

      it("in 'handler' mode resumes from the checkpoint the handler stored with its rows", async () => {
        const written = events(8);
        await store.appendToStream(`${prefix}a`, written);
        // Stands in for a read-model database: rows and checkpoint commit together.
        const readModel = { rows: [] as string[], checkpoint: undefined as string | undefined };
        const checkpointer = { load: async () => readModel.checkpoint };
        let batches = 0;
        const crashing = subscribe(
          {
            batchSize: 3,
            checkpointing: { mode: 'handler', checkpointer },
            retry: { initialDelayMs: 1_000 },
          },
          async (batch) => {
            if (++batches === 3) throw new Error('crash inside the transaction');
            readModel.rows.push(...batch.events.map((e) => e.id));
            readModel.checkpoint = batch.checkpoint;
          },
        );
        await waitFor(() => batches >= 3);
        await crashing.stop();
        expect(readModel.rows).toEqual(written.slice(0, 6).map((e) => e.id));

        const resumed = subscribe(
          { batchSize: 3, checkpointing: { mode: 'handler', checkpointer } },
          async (batch) => {
            readModel.rows.push(...batch.events.map((e) => e.id));
            readModel.checkpoint = batch.checkpoint;
          },
        );
        await resumed.caughtUp();
        expect(readModel.rows).toEqual(written.map((e) => e.id));

        // The store kept no checkpoint of its own under that name: 'store' mode starts over.
        const { seen, handler } = collector();
        await subscribe({ batchSize: 100 }, handler).caughtUp();
        expect(seen).toHaveLength(8);
      });

      it('never skips an event committed late by a concurrent transaction', async () => {
        if (!fixture.holdAppend) {
          console.warn(
            `${adapterName}: transactions cannot overlap; late-commit test not applicable`,
          );
          return;
        }
        const { seen, handler } = collector();
        const subscription = subscribe({ batchSize: 10 }, handler);
        await subscription.caughtUp();
        const late = events(1);
        const held = await fixture.holdAppend(`${prefix}late`, late);
        const early = events(2);
        await store.appendToStream(`${prefix}early-1`, early.slice(0, 1));
        await store.appendToStream(`${prefix}early-2`, early.slice(1));
        await new Promise((resolve) => setTimeout(resolve, 300));
        // Committed but behind an open transaction: not handed over yet, so not skipped later.
        expect(seen).toEqual([]);
        // A read says so, when the adapter tells: its subscriber looks again soon.
        const read = await store.readAll({ streamPrefixes: [prefix] });
        expect(read.events).toEqual([]);
        expect(read.blocked ?? true).toBe(true);
        await held.commit();
        await subscription.caughtUp();
        expect(seen.map((e) => e.id)).toEqual([...late, ...early].map((e) => e.id));
      });

      it('hands over a stream of many events completely', async () => {
        const size = options.largeStreamSize ?? 10_000;
        const stream = `${prefix}large`;
        const written = events(size);
        for (let i = 0; i < size; i += 500) {
          await store.appendToStream(stream, written.slice(i, i + 500));
        }
        const read = await store.readStream(stream);
        expect(read).toHaveLength(size);
        expect(read[size - 1].revision).toBe(size - 1);
        let count = 0;
        let lastRevision = -1;
        const subscription = subscribe({ batchSize: 1_000 }, async (batch) => {
          for (const event of batch.events) {
            if (event.revision !== lastRevision + 1) throw new Error(`gap after ${lastRevision}`);
            lastRevision = event.revision;
            count++;
          }
        });
        await subscription.caughtUp();
        expect(count).toBe(size);
      });
    });

    describeMultiStreamAppend(context);
    describeProjectionSubscriptions(context);
    describeEventQuery(context);

    /**
     * readAll sees a commit only once every older transaction of the database server has ended
     * (the price of never skipping one); other suites running on the same server may hold it.
     */
    async function untilVisible(count: number): Promise<void> {
      await waitFor(
        async () => (await readAllPaged({ streamPrefixes: [prefix] }, 1_000)).length >= count,
      );
    }

    async function readAllPaged(
      read: { streamPrefixes?: string[]; eventTypes?: string[] },
      pageSize: number,
    ): Promise<RecordedEvent[]> {
      const all: RecordedEvent[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await store.readAll({ ...read, after, maxCount: pageSize });
        all.push(...page.events);
        if (page.events.length < pageSize) return all;
        after = page.next;
      }
    }
  });
}
