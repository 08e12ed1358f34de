/** Nest injection token of the EventStore port (a PostgresEventStore in this service). */
export const EVENT_STORE = Symbol('EventStore');

/**
 * Nest injection token of the inline projection (an `InlineProjection` of the port): the read
 * models' row mapper, bound where the app is assembled, so that the write side does not import
 * the read side.
 */
export const INLINE_PROJECTION = Symbol('InlineProjection');

/**
 * Resolves, as `{ readModelsStale }`, once the store's data is migrated: the read models are
 * set up after it (and rebuilt when a migration made them stale).
 */
export const EVENT_STORE_MIGRATED = Symbol('EventStoreMigrated');
