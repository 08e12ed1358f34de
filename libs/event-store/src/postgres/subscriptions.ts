/** Catch-up subscriptions over this store: their reads, checkpoints (with rows), leases. */
import type { BatchHandler, Checkpointer, SubscriptionOptions } from '../event-store';
import { CatchUpSubscription } from '../subscription/catch-up-subscription';
import { deleteCheckpoint, loadCheckpoint, storeCheckpoint, type SqlQuery } from './checkpoints';
import type { StoreConnection } from './connection';
import { comparePositions, decodePosition } from './position';
import { lastPosition, readAll } from './read';
import { acquireSubscriptionLease } from './subscription-lease';

export interface SubscriptionSettings {
  /** For the lease connections of exclusive subscriptions. */
  connectionString: string;
  pollIntervalMs: number;
}

export function subscribe(
  connection: StoreConnection,
  settings: SubscriptionSettings,
  options: SubscriptionOptions,
  handler: BatchHandler,
  onStopped: (subscription: CatchUpSubscription) => void,
): CatchUpSubscription {
  const checkpoints = checkpointsOf(connection);
  const subscription: CatchUpSubscription = new CatchUpSubscription(
    {
      readAll: (read) => readAll(connection, read),
      loadCheckpoint: checkpoints.load,
      storeCheckpoint: (name, checkpoint, rows) =>
        storeCheckpoint(poolQuery(connection), connection.schema, name, checkpoint, rows),
      lastPosition: (prefixes) => lastPosition(connection, prefixes),
      comparePositions: (a, b) => comparePositions(decodePosition(a), decodePosition(b)),
      onWake: (wake) => connection.signal.onWake(wake),
      pollIntervalMs: settings.pollIntervalMs,
      acquireLease: (name, signal) =>
        acquireSubscriptionLease(name, signal, {
          connectionString: settings.connectionString,
          schema: connection.schema,
          retryMs: settings.pollIntervalMs,
          logger: connection.logger,
        }),
    },
    {
      ...options,
      onError:
        options.onError ??
        ((error, attempt) =>
          connection.logger.warn(
            { err: error, subscription: options.name, attempt },
            'retrying batch',
          )),
    },
    handler,
    () => onStopped(subscription),
  );
  return subscription;
}

/** The checkpoints of this store's own table, on its pool. */
export function checkpointsOf(connection: StoreConnection): Checkpointer {
  const query = poolQuery(connection);
  return {
    load: (name) => loadCheckpoint(query, connection.schema, name),
    store: (name, checkpoint) => storeCheckpoint(query, connection.schema, name, checkpoint),
    delete: (name) => deleteCheckpoint(query, connection.schema, name),
  };
}

const poolQuery =
  (connection: StoreConnection): SqlQuery =>
  (sql, params) =>
    connection.statements.query(sql, params);
