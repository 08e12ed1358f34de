/** Nest injection token of the EventStore port (a PostgresEventStore in this service). */
export const EVENT_STORE = Symbol('EventStore');
