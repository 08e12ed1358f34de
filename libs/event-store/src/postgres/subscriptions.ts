/** Catch-up subscriptions over this store: their reads, checkpoints, leases. */
import type { Checkpointer, EventBatch, SubscriptionOptions } from '../event-store';
import { CatchUpSubscription } from '../subscription/catch-up-subscription';
import { loadCheckpoint, storeCheckpoint, type SqlQuery } from './checkpoints';
import type { StoreConnection } from './connection';
import { comparePositions, decodePosition } from './position';
import { lastPosition, readAll, unreadEvents } from './read';
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
  handler: (batch: EventBatch) => Promise<void>,
  onStopped: (subscription: CatchUpSubscription) => void,
): CatchUpSubscription {
  const checkpoints = checkpointsOf(connection);
  const subscription: CatchUpSubscription = new CatchUpSubscription(
    {
      readAll: (read) => readAll(connection, read),
      loadCheckpoint: checkpoints.load,
      storeCheckpoint: checkpoints.store,
      lastPosition: (prefixes) => lastPosition(connection, prefixes),
      unreadEvents: (after) => unreadEvents(connection, after),
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
  };
}

const poolQuery =
  (connection: StoreConnection): SqlQuery =>
  (sql, params) =>
    connection.pool.query(sql, params);
