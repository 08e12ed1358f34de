import type { EventStore } from '@opcfleet/event-store';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { READ_MODEL_SCHEMA } from '../read-model.entities';
import { dropReadModels } from '../read-model.data-source';
import { rowsOfBatch, subscribeReadModels } from '../read-model.projection';

/**
 * Empties the read models and projects every event again from the beginning, through the same
 * subscription and row mapper the service runs. Stop the service first for a quiet rebuild; a
 * running one only loses read-your-writes until the rebuild is done (rows never go back, so
 * its inline projections and the rebuild may overlap).
 */
export async function rebuildReadModels(options: {
  store: EventStore;
  dataSource: DataSource;
  logger: Logger;
}): Promise<{ clients: number; jobs: number; seconds: number }> {
  const { store, dataSource, logger } = options;
  const started = Date.now();
  await dropReadModels(dataSource, store);
  const subscription = subscribeReadModels(store, logger, async (batch) => ({
    rows: await rowsOfBatch(store, batch.events),
  }));
  try {
    await subscription.caughtUp();
  } finally {
    await subscription.stop();
  }
  const [{ clients, jobs }] = (await dataSource.query(
    `SELECT (SELECT count(*)::int FROM ${READ_MODEL_SCHEMA}.clients) AS clients,
            (SELECT count(*)::int FROM ${READ_MODEL_SCHEMA}.jobs) AS jobs`,
  )) as { clients: number; jobs: number }[];
  return { clients, jobs, seconds: (Date.now() - started) / 1000 };
}
