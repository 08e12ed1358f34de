import { rowsOf } from './connection';
import { quoteIdentifier } from './postgres-schema';

/**
 * Runs one SQL statement with positional parameters (`$1`...). `pg`'s `client.query`, a
 * TypeORM `EntityManager.query` or `QueryRunner.query` all fit.
 */
export type SqlQuery = (sql: string, params: unknown[]) => Promise<unknown>;

/**
 * Stores a subscription checkpoint through the caller's connection, so that it commits in the
 * same transaction as the read-model rows the batch produced ('handler' checkpoint mode):
 *
 *     await dataSource.transaction(async (manager) => {
 *       await manager.save(JobView, rows);
 *       await storeCheckpoint((sql, p) => manager.query(sql, p), 'event_store', 'jobs', batch.checkpoint);
 *     });
 *
 * and subscribe with
 * `{ checkpointing: { mode: 'handler', checkpointer: { load: (n) => loadCheckpoint(q, schema, n) } } }`.
 * A crash before the commit loses both the rows and the checkpoint: the batch is handled again.
 */
export async function storeCheckpoint(
  query: SqlQuery,
  schema: string,
  name: string,
  checkpoint: string,
): Promise<void> {
  await query(
    `INSERT INTO ${quoteIdentifier(schema)}.checkpoints (name, checkpoint, updated_at)
     VALUES ($1, $2, now())
     ON CONFLICT (name) DO UPDATE SET checkpoint = EXCLUDED.checkpoint, updated_at = now()`,
    [name, checkpoint],
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
