export * from './event-store-contract';
export * from './test-database';
export type { ReadModelQuery } from './contract-support';
