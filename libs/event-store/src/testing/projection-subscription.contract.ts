import {
  InvalidEventStoreInputError,
  type EventBatch,
  type ProjectedBatch,
  type ProjectedRow,
} from '../event-store';
import { typed, viewRow, viewsOf, waitFor, type ContractContext } from './contract-support';

/**
 * The contract of projection subscriptions: a handler returns rows, the store writes them in
 * the commit of the batch's checkpoint.
 */
export function describeProjectionSubscriptions(context: () => ContractContext): void {
  const store = () => context().store;
  const name = (suffix: string) => `${context().prefix}${suffix}`;
  const views = (...streams: string[]) => viewsOf(context().readModel, streams);

  /** One row per stream of the batch, from its last event (the catch-up projection). */
  const rowsOf = (
    batch: EventBatch,
    also: (streamName: string, revision: number) => ProjectedRow[] = () => [],
  ) => {
    const last = new Map(batch.events.map((event) => [event.streamName, event]));
    return [...last.values()].flatMap((event) => [
      viewRow(event.streamName, { status: event.type, count: event.revision + 1 }, event.revision, [
        event.type,
      ]),
      ...also(event.streamName, event.revision),
    ]);
  };

  describe('projection subscriptions', () => {
    it('writes the rows a handler returns with its checkpoint: a restart hands nothing over again', async () => {
      const [a, b] = [name('a'), name('b')];
      await store().appendToStream(a, typed('Opened', 'Started', 'Closed'));
      await store().appendToStream(b, typed('Opened', 'Started'));
      const handled: string[] = [];
      const project = async (batch: EventBatch): Promise<ProjectedBatch> => {
        handled.push(...batch.events.map((event) => event.id));
        return { rows: rowsOf(batch) };
      };

      const first = context().subscribe({ batchSize: 2 }, project);
      await first.caughtUp();
      await first.stop();

      const rows = await views(a, b);
      expect(rows.get(a)).toMatchObject({ status: 'Closed', event_count: 3, stream_revision: 2 });
      expect(rows.get(b)).toMatchObject({ status: 'Started', event_count: 2, stream_revision: 1 });
      expect(handled).toHaveLength(5);

      const again = context().subscribe({ batchSize: 2 }, project);
      await again.caughtUp();
      expect(handled).toHaveLength(5);
      await store().appendToStream(b, typed('Closed'));
      await again.caughtUp();
      expect((await views(b)).get(b)).toMatchObject({ status: 'Closed', stream_revision: 2 });
      expect(handled).toHaveLength(6);
    });

    it('replays a batch whose commit failed, rows and checkpoint together, and writes it once', async () => {
      const a = name('a');
      const written = typed('Opened', 'Started', 'Closed');
      await store().appendToStream(a, written);
      // A second table that is not there yet: the commit of the first batch fails on it.
      const late = `contract_views.late_${context().prefix.slice(1, 9)}`;
      const lateRow = (streamName: string, revision: number): ProjectedRow[] => [
        { table: late, key: { stream_name: streamName }, values: {}, revision },
      ];
      const handled: string[][] = [];
      const failures: unknown[] = [];
      const project = async (batch: EventBatch) => {
        handled.push(batch.events.map((event) => event.id));
        return { rows: rowsOf(batch, lateRow) };
      };

      const crashing = context().subscribe(
        {
          batchSize: 10,
          retry: { initialDelayMs: 10_000 },
          onError: (error) => failures.push(error),
        },
        project,
      );
      await waitFor(() => failures.length > 0);
      await crashing.stop();

      expect(handled).toEqual([written.map((event) => event.id)]);
      expect((await views(a)).size).toBe(0);
      expect(await store().checkpointer().load(name('sub'))).toBeUndefined();

      await context().readModel(
        `CREATE TABLE ${late} (stream_name text PRIMARY KEY, stream_revision bigint NOT NULL)`,
      );
      const resumed = context().subscribe({ batchSize: 10 }, project);
      await resumed.caughtUp();

      expect(handled).toEqual([1, 2].map(() => written.map((event) => event.id)));
      expect((await views(a)).get(a)).toMatchObject({ status: 'Closed', stream_revision: 2 });
      expect(await context().readModel(`SELECT stream_revision::int AS r FROM ${late}`)).toEqual([
        { r: 2 },
      ]);
      expect(await store().checkpointer().load(name('sub'))).toEqual(expect.any(String));
    });

    it("refuses rows from a handler that stores its own checkpoint ('handler' mode)", async () => {
      const a = name('a');
      await store().appendToStream(a, typed('Opened'));
      const failures: unknown[] = [];
      const subscription = context().subscribe(
        {
          checkpointing: { mode: 'handler', checkpointer: { load: async () => undefined } },
          retry: { initialDelayMs: 10_000 },
          onError: (error) => failures.push(error),
        },
        async (batch) => ({ rows: rowsOf(batch) }),
      );
      await waitFor(() => failures.length > 0);
      await subscription.stop();
      expect(failures[0]).toBeInstanceOf(InvalidEventStoreInputError);
      expect((await views(a)).size).toBe(0);
    });

    it('starts over once its checkpoint is deleted: a read model rebuilt from the events', async () => {
      const [a, b] = [name('a'), name('b')];
      await store().appendToStream(a, typed('Opened', 'Closed'));
      await store().appendToStream(b, typed('Opened'));
      const project = async (batch: EventBatch) => ({ rows: rowsOf(batch) });
      const first = context().subscribe({}, project);
      await first.caughtUp();
      await first.stop();
      const before = await views(a, b);
      expect(before.get(a)).toMatchObject({ status: 'Closed', stream_revision: 1 });
      expect(before.get(b)).toMatchObject({ status: 'Opened', stream_revision: 0 });

      await store().checkpointer().delete(name('sub'));
      await context().readModel(`DELETE FROM contract_views.streams WHERE stream_name = ANY ($1)`, [
        [a, b],
      ]);
      expect(await store().checkpointer().load(name('sub'))).toBeUndefined();
      const rebuild = context().subscribe({}, project);
      await rebuild.caughtUp();

      expect(await views(a, b)).toEqual(before);
    });
  });
}
