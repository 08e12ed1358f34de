import type { EventStore } from '@opcfleet/event-store';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { READ_MODEL_SCHEMA } from '../read-model.entities';
import { dropReadModels } from '../read-model.data-source';
import { projectBatch, subscribeReadModels } from '../read-model.projection';

/**
 * Drops the read models and projects every event again from position 0, through the same
 * subscription code the service runs. Stop the service first for a quiet rebuild; a running
 * one only loses read-your-writes until the rebuild is done (its inline projections defer
 * to the subscription when they would skip events).
 */
export async function rebuildReadModels(options: {
  store: EventStore;
  dataSource: DataSource;
  checkpointSchema: string;
  logger: Logger;
}): Promise<{ clients: number; jobs: number; seconds: number }> {
  const { store, dataSource, checkpointSchema, logger } = options;
  const started = Date.now();
  await dropReadModels(dataSource, checkpointSchema);
  await dataSource.synchronize();
  const subscription = subscribeReadModels(store, dataSource, checkpointSchema, logger, (batch) =>
    projectBatch(dataSource, checkpointSchema, batch),
  );
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
