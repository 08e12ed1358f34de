import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { PostgresEventStore } from '@opcfleet/event-store/postgres';
import { createTestDatabase, type TestDatabase } from '@opcfleet/event-store/testing';
import type { NewEvent, RecordedEvent } from '@opcfleet/event-store';

jest.setTimeout(60_000);

/** PostgreSQL-specific behaviour beyond the port: migrations, cursors, LISTEN, timeouts. */
describe('PostgresEventStore on PostgreSQL', () => {
  let database: TestDatabase;
  let store: PostgresEventStore;

  beforeAll(async () => {
    database = await createTestDatabase();
    store = await PostgresEventStore.connect({
      connectionString: database.url,
      schema: 'es',
      idleInTransactionTimeoutMs: 1_500,
    });
  });
  afterAll(async () => {
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
    // The store's own pool (its inside): every connection it hands out carries the timeout.
    const { pool } = (store as unknown as { connection: { pool: Pool } }).connection;
    const client = await pool.connect();
    client.on('error', () => undefined);
    try {
      await client.query('BEGIN');
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      await expect(client.query('SELECT 1')).rejects.toThrow(
        /idle-in-transaction|terminat|Connection/i,
      );
    } finally {
      client.release(true);
    }
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
