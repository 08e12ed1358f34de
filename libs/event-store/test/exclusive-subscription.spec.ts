import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import pino from 'pino';
import type { EventBatch, Subscription } from '@opcfleet/event-store';
import { PostgresEventStore } from '@opcfleet/event-store/postgres';
import { createTestDatabase, type TestDatabase } from '@opcfleet/event-store/testing';

jest.setTimeout(60_000);

const RETRY_MS = 50;

async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Two processes (two stores, each with its own pool) run the same exclusive subscription:
 * one reads, the other stands by and takes over from the stored checkpoint when the first
 * stops or its lease connection dies.
 */
describe('exclusive subscriptions on PostgreSQL', () => {
  let database: TestDatabase;
  const stores: PostgresEventStore[] = [];
  const subscriptions: Subscription[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterEach(async () => {
    await Promise.all(subscriptions.splice(0).map((s) => s.stop()));
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });
  afterAll(async () => {
    await database.drop();
  });

  async function replica() {
    const store = await PostgresEventStore.connect({
      connectionString: database.url,
      schema: 'es_exclusive',
      pollIntervalMs: RETRY_MS,
      logger: pino({ level: 'silent' }),
    });
    stores.push(store);
    return store;
  }

  function follow(store: PostgresEventStore, name: string) {
    const seen: string[] = [];
    const subscription = store.subscribe(
      { name, exclusive: true, streamPrefixes: [`${name}-`] },
      async (batch: EventBatch) => {
        for (const event of batch.events) seen.push(event.id);
      },
    );
    subscriptions.push(subscription);
    return { subscription, seen };
  }

  async function append(store: PostgresEventStore, stream: string, count: number) {
    const ids: string[] = Array.from({ length: count }, () => randomUUID());
    for (const id of ids) await store.appendToStream(stream, [{ id, type: 'Ticked', data: {} }]);
    return ids;
  }

  it('is run by one replica at a time; the other takes over where it stopped', async () => {
    const name = `dispatch-${randomUUID().slice(0, 8)}`;
    const [first, second] = [await replica(), await replica()];
    const a = follow(first, name);
    await eventually(() => a.subscription.active);
    const b = follow(second, name);

    const early = await append(first, `${name}-1`, 5);
    await eventually(() => a.seen.length === 5);
    expect(a.seen).toEqual(early);
    expect(b.subscription.active).toBe(false);
    expect(b.seen).toEqual([]);

    await a.subscription.stop();
    await eventually(() => b.subscription.active);
    const late = await append(second, `${name}-1`, 3);
    await eventually(() => b.seen.length === 3);
    expect(b.seen).toEqual(late);
  });

  it('takes the lease again when the connection holding it dies, and misses nothing', async () => {
    const name = `projection-${randomUUID().slice(0, 8)}`;
    const [first, second] = [await replica(), await replica()];
    const a = follow(first, name);
    await eventually(() => a.subscription.active);
    const b = follow(second, name);
    const early = await append(first, `${name}-1`, 2);
    await eventually(() => a.seen.length === 2);

    // What a crashed process or a cut network looks like to the server: the session ends.
    const admin = new Client({ connectionString: database.url });
    await admin.connect();
    try {
      const holders = async () =>
        (
          await admin.query<{ pid: number }>(
            `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted
                AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
          )
        ).rows.map((row) => row.pid);
      const [killed] = await holders();
      await admin.query('SELECT pg_terminate_backend($1)', [killed]);

      // One of the two holds it again (the one that lost it may well win), on a new session.
      await eventually(async () => {
        const now = await holders();
        return now.length === 1 && now[0] !== killed;
      });
      await eventually(() => a.subscription.active !== b.subscription.active);
    } finally {
      await admin.end();
    }
    const late = await append(second, `${name}-1`, 2);
    await eventually(() => [...a.seen, ...b.seen].filter((id) => late.includes(id)).length >= 2);
    expect(new Set([...a.seen, ...b.seen])).toEqual(new Set([...early, ...late]));
  });

  it('lets different names run side by side', async () => {
    const store = await replica();
    const one = follow(store, `one-${randomUUID().slice(0, 8)}`);
    const two = follow(store, `two-${randomUUID().slice(0, 8)}`);
    await eventually(() => one.subscription.active && two.subscription.active);
  });
});
