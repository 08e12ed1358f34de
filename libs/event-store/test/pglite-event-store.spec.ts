import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Pool } from 'pg';
import { PostgresEventStore } from '@opcfleet/event-store/postgres';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '@opcfleet/event-store/pglite';
import { describeEventStoreContract } from '@opcfleet/event-store/testing';

jest.setTimeout(120_000);

// No holdAppend: PGlite runs one transaction at a time, so a commit cannot come late.
describeEventStoreContract('PGlite over the wire protocol', async () => {
  const database = await startEmbeddedPostgres();
  const store = await PostgresEventStore.connect({
    connectionString: database.url,
    schema: 'es',
    poolMax: 2,
  });
  const readModel = new Pool({ connectionString: database.url, max: 1 });
  return {
    store,
    readModel: async (sql, params) => (await readModel.query(sql, params)).rows,
    dispose: async () => {
      await readModel.end();
      await store.close();
      await database.stop();
    },
  };
});

describe('PostgreSQL store on a fresh PGlite', () => {
  let database: EmbeddedPostgres;
  let store: PostgresEventStore;
  beforeAll(async () => {
    database = await startEmbeddedPostgres();
    store = await PostgresEventStore.connect({ connectionString: database.url, poolMax: 2 });
  });
  afterAll(async () => {
    await store.close();
    await database.stop();
  });

  // A fresh PGlite starts near transaction 750: these appends cross 999 -> 1000, where a
  // cursor sorted as text would go backwards and hand events over twice.
  it('orders the cursor by transaction id as a number across a digit boundary', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 400; i++) {
      const id = randomUUID();
      ids.push(id);
      await store.appendToStream(`s-${i % 3}`, [{ id, type: 'Counted', data: { i } }]);
    }
    const positions = (await store.readAll()).events.map((event) => event.position);
    const transactions = positions.map((position) => Number(position.split(':')[0]));
    expect(transactions[0]).toBeLessThan(1_000);
    expect(transactions[transactions.length - 1]).toBeGreaterThanOrEqual(1_000);
    const seen: string[] = [];
    const subscription = store.subscribe({ name: 'counter', batchSize: 7 }, async (batch) => {
      seen.push(...batch.events.map((event) => event.id));
    });
    await subscription.caughtUp();
    await subscription.stop();
    expect(seen).toEqual(ids);
  });

  it('serves several connections at once', async () => {
    const clients = [new Client(database.url), new Client(database.url), new Client(database.url)];
    await Promise.all(clients.map((client) => client.connect()));
    const answers = await Promise.all(
      clients.map((client, i) => client.query('SELECT $1::int * 2 AS doubled', [i])),
    );
    expect(answers.map((answer) => answer.rows[0].doubled)).toEqual([0, 2, 4]);
    await Promise.all(clients.map((client) => client.end()));
  });
});

describe('embedded PGlite with a data folder', () => {
  it('keeps events and checkpoints across a restart', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'pglite-'));
    try {
      const first = await startEmbeddedPostgres({ dataDir });
      const writer = await PostgresEventStore.connect({ connectionString: first.url, poolMax: 1 });
      const id = randomUUID();
      await writer.appendToStream('kept', [{ id, type: 'Kept', data: { n: 1 } }]);
      await writer.checkpointer().store('projection', 'some-checkpoint');
      await writer.close();
      await first.stop();

      const second = await startEmbeddedPostgres({ dataDir });
      const reader = await PostgresEventStore.connect({ connectionString: second.url, poolMax: 1 });
      try {
        expect((await reader.readStream('kept')).map((event) => event.id)).toEqual([id]);
        expect(await reader.checkpointer().load('projection')).toBe('some-checkpoint');
      } finally {
        await reader.close();
        await second.stop();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
