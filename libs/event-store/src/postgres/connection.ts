import type { Pool, PoolClient } from 'pg';
import type { Logger } from 'pino';
import { describe, type CommitSignal } from './commit-signal';
import { quoteIdentifier } from './postgres-schema';
import type { PreparedStatements } from './prepared-statements';

/** What every part of the adapter works with: the pool, the schema's tables, the wake-up. */
export interface StoreConnection {
  readonly pool: Pool;
  /** The pool's queries of the hot paths (appends, reads), as named prepared statements. */
  readonly statements: PreparedStatements;
  readonly schema: string;
  /** Tells subscribers that this process committed events. */
  readonly signal: CommitSignal;
  readonly logger: Logger;
}

/** `"schema".name`: a table or function of the store's schema. */
export function tableOf(connection: Pick<StoreConnection, 'schema'>, name: string): string {
  return `${quoteIdentifier(connection.schema)}.${name}`;
}

/** Runs `work` in a transaction on one pooled connection: committed, or rolled back if it throws. */
export async function inTransaction<T>(
  connection: StoreConnection,
  work: (client: PoolClient) => Promise<T>,
): Promise<T> {
  const client = await connection.pool.connect();
  // The server may end a checked-out connection (idle_in_transaction_session_timeout): the
  // pending query rejects; without a listener the 'error' event would crash the process.
  let lost: Error | undefined;
  const onError = (error: Error) => {
    lost = error;
    connection.logger.warn(
      { error: describe(error) },
      'event store connection lost inside a transaction',
    );
  };
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.off('error', onError);
    client.release(lost);
  }
}

/** `pg` answers `{ rows }`, TypeORM's `query` answers the rows themselves. */
export function rowsOf<Row>(result: unknown): Row[] {
  if (Array.isArray(result)) return result as Row[];
  if (result && typeof result === 'object' && Array.isArray((result as { rows?: unknown }).rows)) {
    return (result as { rows: Row[] }).rows;
  }
  throw new Error('query returned neither rows nor { rows }');
}
