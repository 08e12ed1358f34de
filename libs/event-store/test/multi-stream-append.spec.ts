import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { PostgresEventStore } from '@opcfleet/event-store/postgres';
import { createTestDatabase, type TestDatabase } from '@opcfleet/event-store/testing';
import type { NewEvent } from '@opcfleet/event-store';

jest.setTimeout(60_000);

/**
 * The multi-stream appends of before the port had one (deprecated: SQL text from the caller,
 * non-atomic outcomes), kept working until the service has moved onto `appendToStreams`.
 */
describe('PostgresEventStore, several streams at once (deprecated APIs)', () => {
  let database: TestDatabase;
  let store: PostgresEventStore;
  let sql: Client;

  beforeAll(async () => {
    database = await createTestDatabase();
    store = await PostgresEventStore.connect({ connectionString: database.url, schema: 'es' });
    sql = new Client({ connectionString: database.url });
    await sql.connect();
    await sql.query('CREATE TABLE job_view (id text PRIMARY KEY, revision int NOT NULL)');
  });
  afterAll(async () => {
    await sql?.end();
    await store?.close();
    await database?.drop();
  });

  it('reads several streams in one query, each in revision order; a missing one is absent', async () => {
    const [a, b, missing] = [stream(), stream(), stream()];
    await store.appendToStream(a, events(3));
    await store.appendToStream(b, events(1));
    await store.appendToStream(a, events(1));

    const read = await store.readStreams([a, b, missing]);

    expect(read.get(a)!.map((event) => event.revision)).toEqual([0, 1, 2, 3]);
    expect(read.get(b)!.map((event) => event.revision)).toEqual([0]);
    expect(read.has(missing)).toBe(false);
  });

  it('appends to several streams in one statement; a conflict on one does not stop the others', async () => {
    const [moved, fresh, existing] = [stream(), stream(), stream()];
    await store.appendToStream(moved, events(2));
    await store.appendToStream(existing, events(1));
    const forFresh = events(2);

    const outcomes = await store.appendToStreams(
      [
        { streamName: existing, events: events(1), expectedRevision: 0 },
        { streamName: fresh, events: forFresh, expectedRevision: 'no_stream' },
        { streamName: moved, events: events(1), expectedRevision: 0 },
      ],
      [],
    );

    expect(outcomes).toEqual([
      expect.objectContaining({
        streamName: existing,
        outcome: 'appended',
        nextExpectedRevision: 1,
      }),
      expect.objectContaining({ streamName: fresh, outcome: 'appended', nextExpectedRevision: 1 }),
      { streamName: moved, outcome: 'wrong_revision', actual: 1 },
    ]);
    expect((await store.readStream(fresh)).map((event) => event.id)).toEqual(
      forFresh.map((event) => event.id),
    );
    expect(await store.readStream(moved)).toHaveLength(2);
  });

  it('answers duplicate for a retried append and partial_duplicate for a mixed one, writing nothing', async () => {
    const name = stream();
    const stored = events(2);
    await store.appendToStream(name, stored);

    const outcomes = await store.appendToStreams(
      [{ streamName: name, events: stored, expectedRevision: 'no_stream' }],
      [],
    );
    const [mixed] = await store.appendToStreams(
      [{ streamName: name, events: [stored[0], ...events(1)], expectedRevision: 1 }],
      [],
    );

    expect(outcomes).toEqual([
      expect.objectContaining({ outcome: 'duplicate', nextExpectedRevision: 1 }),
    ]);
    expect(mixed).toEqual({ streamName: name, outcome: 'partial_duplicate' });
    expect(await store.readStream(name)).toHaveLength(2);
  });

  it('runs dependent writes in the append statement: rows only for the streams appended', async () => {
    const [moved, fresh] = [stream(), stream()];
    await store.appendToStream(moved, events(1));
    const rowsOfAppended = {
      sql: (param: (n: number) => string) =>
        `INSERT INTO job_view (id, revision)
         SELECT a.stream_name, a.revision FROM appended a
          WHERE a.outcome = 'appended' AND a.stream_name = ANY (${param(1)}::text[])`,
      params: [[moved, fresh]],
    };

    const outcomes = await store.appendToStreams(
      [
        { streamName: fresh, events: events(2), expectedRevision: 'no_stream' },
        { streamName: moved, events: events(1), expectedRevision: 'no_stream' },
      ],
      [rowsOfAppended],
    );

    expect(outcomes.map((outcome) => outcome.outcome)).toEqual(['appended', 'wrong_revision']);
    const rows = await sql.query('SELECT id, revision FROM job_view WHERE id = ANY($1)', [
      [moved, fresh],
    ]);
    expect(rows.rows).toEqual([{ id: fresh, revision: 1 }]);
  });

  it('appends nothing when a dependent write fails', async () => {
    const name = stream();
    const failing = {
      sql: (param: (n: number) => string) =>
        `INSERT INTO job_view (id, revision) VALUES (${param(1)}, ${param(2)}), (${param(1)}, 0)`,
      params: [name, 0],
    };

    await expect(
      store.appendToStreams([{ streamName: name, events: events(1) }], [failing]),
    ).rejects.toThrow(/duplicate key|cannot affect row a second time/);

    expect(await store.readStream(name)).toEqual([]);
  });

  it('appends all or nothing when asked: a stream that moved fails the statement with the typed error', async () => {
    const [mark, job] = [stream(), stream()];
    await store.appendToStream(mark, events(2));
    const viewRow = {
      sql: (param: (n: number) => string) =>
        `INSERT INTO job_view (id, revision) SELECT ${param(1)}, 0 FROM appended
          WHERE stream_name = ${param(1)} AND outcome = 'appended'`,
      params: [job],
    };

    const refused = store.appendToStreamsAtomically(
      [
        { streamName: mark, events: events(1), expectedRevision: 0 },
        { streamName: job, events: events(1), expectedRevision: 'no_stream' },
      ],
      [viewRow],
    );

    await expect(refused).rejects.toMatchObject({
      name: 'WrongExpectedRevisionError',
      streamName: mark,
      actual: 1,
    });
    expect((await store.readStreams([mark, job])).get(job)).toBeUndefined();
    expect((await sql.query('SELECT 1 FROM job_view WHERE id = $1', [job])).rowCount).toBe(0);

    const opening = [
      { streamName: mark, events: events(1), expectedRevision: 1 as const },
      { streamName: job, events: events(1), expectedRevision: 'no_stream' as const },
    ];
    const outcomes = await store.appendToStreamsAtomically(opening, [viewRow]);
    expect(outcomes.map((o) => o.outcome)).toEqual(['appended', 'appended']);
    expect((await sql.query('SELECT 1 FROM job_view WHERE id = $1', [job])).rowCount).toBe(1);
    // The same append again (a retry after a lost answer) is recognised, and writes nothing.
    const again = await store.appendToStreamsAtomically(opening, [viewRow]);
    expect(again.map((o) => o.outcome)).toEqual(['duplicate', 'duplicate']);
  });

  it('refuses to name one stream twice in one append', async () => {
    const name = stream();
    await expect(
      store.appendToStreams(
        [
          { streamName: name, events: events(1) },
          { streamName: name, events: events(1) },
        ],
        [],
      ),
    ).rejects.toThrow(/each stream once/);
    expect(await store.readStream(name)).toEqual([]);
  });

  it('commits the appends and the caller rows of a write transaction together, or neither', async () => {
    const [kept, lost] = [stream(), stream()];
    const write = (name: string, fail: boolean) =>
      store.writeTransaction(async ({ query, appendToStreams }) => {
        const [outcome] = await appendToStreams([{ streamName: name, events: events(1) }]);
        await query('INSERT INTO job_view (id, revision) VALUES ($1, $2)', [
          name,
          outcome.outcome === 'appended' ? outcome.nextExpectedRevision : -1,
        ]);
        if (fail) throw new Error('projection refused');
      });

    await write(kept, false);
    await expect(write(lost, true)).rejects.toThrow('projection refused');

    expect(await store.readStream(kept)).toHaveLength(1);
    expect(await store.readStream(lost)).toEqual([]);
    const rows = await sql.query('SELECT id, revision FROM job_view WHERE id = ANY($1)', [
      [kept, lost],
    ]);
    expect(rows.rows).toEqual([{ id: kept, revision: 0 }]);
  });

  it('wakes subscribers after a write transaction commits', async () => {
    const name = stream();
    const seen: string[] = [];
    const subscription = store.subscribe(
      { name: `sub-${name}`, streamPrefixes: [name] },
      async (batch) => {
        seen.push(...batch.events.map((event) => event.streamName));
      },
    );
    await subscription.caughtUp();
    await store.writeTransaction(({ appendToStreams }) =>
      appendToStreams([{ streamName: name, events: events(1) }]),
    );
    await subscription.caughtUp();
    await subscription.stop();
    expect(seen).toEqual([name]);
  });
});

const stream = () => `multi-${randomUUID()}`;

function events(count: number): NewEvent[] {
  return Array.from({ length: count }, () => ({ id: randomUUID(), type: 'Tested', data: {} }));
}
