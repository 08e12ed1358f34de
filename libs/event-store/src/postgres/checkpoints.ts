import type { ProjectedRow } from '../event-store';
import { rowsOf } from './connection';
import { quoteIdentifier } from './postgres-schema';
import { rowWrites } from './projected-rows';

/**
 * Runs one SQL statement with positional parameters (`$1`...). `pg`'s `client.query`, a
 * TypeORM `EntityManager.query` or `QueryRunner.query` all fit.
 */
export type SqlQuery = (sql: string, params: unknown[]) => Promise<unknown>;

/**
 * Stores a subscription checkpoint, and with it, in the same statement, the read-model rows
 * the batch produced: both commit, or neither (a crash before the commit replays the batch).
 *
 * Through the caller's own connection, it commits in the caller's transaction (the way of
 * 'handler' checkpoint mode before subscription handlers could return rows):
 *
 *     await dataSource.transaction(async (manager) => {
 *       await manager.save(JobView, rows);
 *       await storeCheckpoint((sql, p) => manager.query(sql, p), 'event_store', 'jobs', batch.checkpoint);
 *     });
 */
export async function storeCheckpoint(
  query: SqlQuery,
  schema: string,
  name: string,
  checkpoint: string,
  rows: readonly ProjectedRow[] = [],
): Promise<void> {
  const writes = rowWrites(
    rows.map((row) => ({ row })),
    { onlyAppended: false },
  );
  const ctes = writes.ctes(1);
  const [nameParam, checkpointParam] = [writes.values.length + 1, writes.values.length + 2];
  await query(
    `${ctes.length > 0 ? `WITH ${ctes.join(', ')}` : ''}
     INSERT INTO ${quoteIdentifier(schema)}.checkpoints (name, checkpoint, updated_at)
     VALUES ($${nameParam}, $${checkpointParam}, now())
     ON CONFLICT (name) DO UPDATE SET checkpoint = EXCLUDED.checkpoint, updated_at = now()`,
    [...writes.values, name, checkpoint],
  );
}

/** The checkpoint stored under `name`, or undefined when the subscription has never stored one. */
export async function loadCheckpoint(
  query: SqlQuery,
  schema: string,
  name: string,
): Promise<string | undefined> {
  const result = await query(
    `SELECT checkpoint FROM ${quoteIdentifier(schema)}.checkpoints WHERE name = $1`,
    [name],
  );
  return rowsOf<{ checkpoint: string }>(result)[0]?.checkpoint;
}

/** Forgets the checkpoint stored under `name`: the subscription starts from the beginning. */
export async function deleteCheckpoint(query: SqlQuery, schema: string, name: string) {
  await query(`DELETE FROM ${quoteIdentifier(schema)}.checkpoints WHERE name = $1`, [name]);
}
