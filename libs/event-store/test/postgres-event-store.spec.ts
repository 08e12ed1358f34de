import { Client, Pool } from 'pg';
import { PostgresEventStore } from '@opcfleet/event-store/postgres';
import { createTestDatabase, describeEventStoreContract } from '@opcfleet/event-store/testing';
import { appendThroughFunction } from './support/append-function';

jest.setTimeout(60_000);

describeEventStoreContract('PostgreSQL', async () => {
  const database = await createTestDatabase();
  const store = await PostgresEventStore.connect({ connectionString: database.url, schema: 'es' });
  const readModel = new Pool({ connectionString: database.url, max: 2 });
  return {
    store,
    readModel: async (sql, params) => (await readModel.query(sql, params)).rows,
    // The store's own append function, in a transaction of a connection of its own.
    holdAppend: async (streamName, events) => {
      const client = new Client({ connectionString: database.url });
      await client.connect();
      await client.query('BEGIN');
      await appendThroughFunction(client, 'es', streamName, events);
      return {
        commit: async () => {
          await client.query('COMMIT');
          await client.end();
        },
      };
    },
    dispose: async () => {
      await readModel.end();
      await store.close();
      await database.drop();
    },
  };
});
