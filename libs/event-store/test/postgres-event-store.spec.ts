import { PostgresEventStore } from '@opcfleet/event-store/postgres';
import { createTestDatabase, describeEventStoreContract } from '@opcfleet/event-store/testing';

jest.setTimeout(60_000);

describeEventStoreContract('PostgreSQL', async () => {
  const database = await createTestDatabase();
  const store = await PostgresEventStore.connect({ connectionString: database.url, schema: 'es' });
  return {
    store,
    holdAppend: async (streamName, events) => {
      let commit!: () => void;
      const released = new Promise<void>((resolve) => (commit = resolve));
      let appended!: () => void;
      const inserted = new Promise<void>((resolve) => (appended = resolve));
      const done = store.appendToStream(streamName, events, {
        onAppended: async () => {
          appended();
          await released;
        },
      });
      await inserted;
      return {
        commit: async () => {
          commit();
          await done;
        },
      };
    },
    dispose: async () => {
      await store.close();
      await database.drop();
    },
  };
});
