import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import {
  loadCheckpoint,
  PostgresEventStore,
  storeCheckpoint,
} from '@opcfleet/event-store/postgres';
import { createTestDatabase, type TestDatabase } from '@opcfleet/event-store/testing';
import type { NewEvent, RecordedEvent } from '@opcfleet/event-store';

jest.setTimeout(60_000);

/** PostgreSQL-specific behaviour beyond the port: transactions shared with the caller, LISTEN. */
describe('PostgresEventStore on PostgreSQL', () => {
  let database: TestDatabase;
  let store: PostgresEventStore;
  let sql: Client;

  beforeAll(async () => {
    database = await createTestDatabase();
    store = await PostgresEventStore.connect({
      connectionString: database.url,
      schema: 'es',
      idleInTransactionTimeoutMs: 1_500,
    });
    sql = new Client({ connectionString: database.url });
    await sql.connect();
    await sql.query('CREATE TABLE job_view (id uuid PRIMARY KEY, status text NOT NULL)');
  });
  afterAll(async () => {
    await sql?.end();
    await store?.close();
    await database?.drop();
  });

  it('migrates idempotently, also when two stores start together', async () => {
    const [a, b] = await Promise.all([
      PostgresEventStore.connect({ connectionString: database.url, schema: 'es_race' }),
      PostgresEventStore.connect({ connectionString: database.url, schema: 'es_race' }),
    ]);
    await Promise.all([a.close(), b.close()]);
    const again = await PostgresEventStore.connect({
      connectionString: database.url,
      schema: 'es',
    });
    await again.close();
  });

  it('refuses a schema name that is not a plain identifier', async () => {
    await expect(
      PostgresEventStore.connect({ connectionString: database.url, schema: 'es; DROP TABLE x' }),
    ).rejects.toThrow(/invalid schema name/);
  });

  it('stores a handler checkpoint in the read model transaction, or not at all', async () => {
    const jobId = randomUUID();
    const project = async (fail: boolean) => {
      await sql.query('BEGIN');
      try {
        const query = (text: string, params: unknown[]) => sql.query(text, params);
        await query('INSERT INTO job_view (id, status) VALUES ($1, $2)', [jobId, 'Requested']);
        await storeCheckpoint(query, 'es', 'jobs', '42:7');
        if (fail) throw new Error('projection failed');
        await sql.query('COMMIT');
      } catch (error) {
        await sql.query('ROLLBACK');
        throw error;
      }
    };
    const query = (text: string, params: unknown[]) => sql.query(text, params);
    await expect(project(true)).rejects.toThrow('projection failed');
    expect(await loadCheckpoint(query, 'es', 'jobs')).toBeUndefined();
    expect((await sql.query('SELECT * FROM job_view WHERE id = $1', [jobId])).rows).toEqual([]);
    await project(false);
    expect(await loadCheckpoint(query, 'es', 'jobs')).toBe('42:7');
    expect(await store.checkpointer().load('jobs')).toBe('42:7');
  });

  it('runs onAppended in the append transaction: read-your-writes, rolled back together', async () => {
    const stream = `job-${randomUUID()}`;
    const jobId = randomUUID();
    const appended = await store.appendToStream(stream, events(1), {
      expectedRevision: 'no_stream',
      onAppended: async ({ query, result }) => {
        expect(result.nextExpectedRevision).toBe(0);
        await query('INSERT INTO job_view (id, status) VALUES ($1, $2)', [jobId, 'Requested']);
      },
    });
    expect(appended.nextExpectedRevision).toBe(0);
    expect((await sql.query('SELECT status FROM job_view WHERE id = $1', [jobId])).rows).toEqual([
      { status: 'Requested' },
    ]);

    await expect(
      store.appendToStream(stream, events(1), {
        onAppended: async () => {
          throw new Error('read model refused');
        },
      }),
    ).rejects.toThrow('read model refused');
    expect(await store.readStream(stream)).toHaveLength(1);
  });

  it('moves a filtered cursor past events of other streams, so they are not scanned again', async () => {
    const prefix = `rare-${randomUUID()}-`;
    const [wanted] = events(1);
    await store.appendToStream(`${prefix}a`, [wanted]);
    const others = events(5);
    for (const other of others) await store.appendToStream(`busy-${randomUUID()}`, [other]);
    // Readers see these once older transactions elsewhere on the server have ended.
    const visible = await visibleAfter(store, wanted.id, 5);

    const first = await store.readAll({ streamPrefixes: [prefix], maxCount: 10 });
    expect(first.events.map((event) => event.id)).toEqual([wanted.id]);
    expect(first.next).toBe(visible[visible.length - 1].position);

    const [later] = events(1);
    await store.appendToStream(`${prefix}b`, [later]);
    await visibleAfter(store, later.id, 0);
    const second = await store.readAll({ after: first.next, streamPrefixes: [prefix] });
    expect(second.events.map((event) => event.id)).toEqual([later.id]);

    const subscription = store.subscribe(
      { name: prefix, streamPrefixes: [prefix] },
      async () => undefined,
    );
    await subscription.caughtUp();
    const [busy] = events(1);
    await store.appendToStream(`busy-${randomUUID()}`, [busy]);
    const busyPosition = (await visibleAfter(store, later.id, 1)).pop()!.position;
    await waitFor(async () => (await store.checkpointer().load(prefix)) === busyPosition, 5_000);
    await subscription.stop();
  });

  it('wakes a subscriber of another process through NOTIFY, not the poll', async () => {
    const listening = await PostgresEventStore.connect({
      connectionString: database.url,
      schema: 'es',
      pollIntervalMs: 60_000,
    });
    try {
      const prefix = `notify-${randomUUID()}-`;
      const arrived: number[] = [];
      const subscription = listening.subscribe(
        { name: prefix, streamPrefixes: [prefix] },
        async (batch) => void arrived.push(...batch.events.map(() => Date.now())),
      );
      await subscription.caughtUp();
      await new Promise((resolve) => setTimeout(resolve, 300)); // LISTEN is in place
      const started = Date.now();
      await store.appendToStream(`${prefix}a`, events(1));
      await waitFor(() => arrived.length === 1, 20_000);
      // Far below the 60 s poll; not tighter, since other suites on the server may briefly
      // hold the visibility horizon.
      expect(arrived[0] - started).toBeLessThan(5_000);
    } finally {
      await listening.close();
    }
  });

  it('ends a transaction left idle longer than idleInTransactionTimeoutMs', async () => {
    const held = store.appendToStream(`idle-${randomUUID()}`, events(1), {
      onAppended: () => new Promise((resolve) => setTimeout(resolve, 3_000)),
    });
    await expect(held).rejects.toThrow(/idle-in-transaction|terminat|Connection/i);
  });
});

/** Waits until `count` events after the one with id `afterId` are visible to readAll. */
async function visibleAfter(
  store: PostgresEventStore,
  afterId: string,
  count: number,
): Promise<RecordedEvent[]> {
  let found: RecordedEvent[] = [];
  await waitFor(async () => {
    const all = (await store.readAll()).events;
    found = all.slice(all.findIndex((event) => event.id === afterId) + 1);
    return all.some((event) => event.id === afterId) && found.length >= count;
  }, 30_000);
  return found;
}

function events(count: number): NewEvent[] {
  return Array.from({ length: count }, () => ({ id: randomUUID(), type: 'Tested', data: {} }));
}

async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
