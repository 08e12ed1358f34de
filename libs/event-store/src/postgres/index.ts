export * from './postgres-event-store';
export { loadCheckpoint, storeCheckpoint, type SqlQuery } from './checkpoints';
