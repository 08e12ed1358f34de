import { Client, type Pool, type PoolClient } from 'pg';
import type { Logger } from 'pino';
import { quoteIdentifier } from '../postgres-schema';

/** Runs one statement on the migration's transaction. */
export type MigrationQuery = (
  sql: string,
  params?: unknown[],
) => Promise<{ rows: Record<string, unknown>[] }>;

/**
 * One numbered schema change. It runs once per database, in one transaction with the row that
 * records it: it is applied completely or not at all. Never edit one that has shipped: add
 * the next version.
 */
export interface Migration {
  /** A positive integer, higher than the version before it in the list. */
  version: number;
  name: string;
  /** SQL statements (several allowed, no parameters). Give `sql` or `up`. */
  sql?: string;
  /** A migration as code, on the migration's transaction. */
  up?: (query: MigrationQuery) => Promise<void>;
}

export interface RunMigrationsOptions {
  /** A connection string (one connection is opened and closed), or `pool` to borrow one from. */
  connectionString?: string;
  pool?: Pool;
  /** Schema holding the table of applied versions, `<schema>.schema_migrations`; created if missing. */
  schema: string;
  migrations: readonly Migration[];
  /**
   * Processes that run migrations under the same lock name run them one at a time (a
   * transaction-level advisory lock). Default `opcfleet-migrations:<schema>`.
   */
  lockName?: string;
  logger?: Logger;
}

export interface MigrationsReport {
  /** What this call applied, in order. */
  applied: { version: number; name: string }[];
  /** The highest version recorded now (0: none). */
  version: number;
  /** Versions recorded in the database that this code does not know: a newer release ran them. */
  unknown: number[];
}

/** The migrations of `options.migrations` not recorded in the database yet. */
export async function pendingMigrations(options: RunMigrationsOptions): Promise<Migration[]> {
  const migrations = checkedMigrations(options.migrations);
  return withConnection(options, async (client) => {
    const recorded = await recordedVersions(client, options.schema);
    return migrations.filter((migration) => !recorded.has(migration.version));
  });
}

/**
 * Applies the migrations the database has not had, in version order, each in a transaction of
 * its own under the advisory lock, and records each in `<schema>.schema_migrations (version,
 * name, applied_at)`. Concurrent runners (replicas starting together) each apply what the other
 * has not: a version is checked again once the lock is held. A failing migration rolls back,
 * with its record, and stops the run; the ones before it stay applied.
 */
export async function runMigrations(options: RunMigrationsOptions): Promise<MigrationsReport> {
  const migrations = checkedMigrations(options.migrations);
  const lockName = options.lockName ?? `opcfleet-migrations:${options.schema}`;
  const schema = quoteIdentifier(options.schema);
  return withConnection(options, async (client) => {
    let recorded = await recordedVersions(client, options.schema);
    checkNames(recorded, migrations);
    const applied: MigrationsReport['applied'] = [];
    for (const migration of migrations) {
      if (recorded.has(migration.version)) continue;
      if (await applyOne(client, schema, lockName, migration)) {
        applied.push({ version: migration.version, name: migration.name });
        options.logger?.info(
          { schema: options.schema, version: migration.version, migration: migration.name },
          'migration applied',
        );
      }
    }
    recorded = await recordedVersions(client, options.schema);
    checkNames(recorded, migrations);
    const known = new Set(migrations.map((migration) => migration.version));
    const unknown = [...recorded.keys()].filter((version) => !known.has(version));
    if (unknown.length > 0) {
      options.logger?.warn(
        { schema: options.schema, unknown },
        'the database has migrations this code does not know: a newer release ran them',
      );
    }
    return { applied, version: Math.max(0, ...recorded.keys()), unknown };
  });
}

/** Applies one migration; false when another process applied it meanwhile. */
async function applyOne(
  client: Client | PoolClient,
  schema: string,
  lockName: string,
  migration: Migration,
): Promise<boolean> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [lockName]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema};
      CREATE TABLE IF NOT EXISTS ${schema}.schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
    const done = await client.query(
      `SELECT 1 FROM ${schema}.schema_migrations WHERE version = $1`,
      [migration.version],
    );
    if (done.rows.length > 0) {
      await client.query('COMMIT');
      return false;
    }
    if (migration.sql !== undefined) await client.query(migration.sql);
    else await migration.up!((sql, params) => client.query(sql, params));
    await client.query(`INSERT INTO ${schema}.schema_migrations (version, name) VALUES ($1, $2)`, [
      migration.version,
      migration.name,
    ]);
    await client.query('COMMIT');
    return true;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw new Error(
      `migration ${migration.version} (${migration.name}) failed: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** Recorded versions and their names; empty when nothing was ever recorded. */
async function recordedVersions(
  client: Client | PoolClient,
  schemaName: string,
): Promise<Map<number, string>> {
  try {
    const { rows } = await client.query<{ version: number; name: string }>(
      `SELECT version, name FROM ${quoteIdentifier(schemaName)}.schema_migrations`,
    );
    return new Map(rows.map((row) => [row.version, row.name]));
  } catch (error) {
    // 42P01: no such table, 3F000: no such schema: a database never migrated.
    const code = (error as { code?: string }).code;
    if (code === '42P01' || code === '3F000') return new Map();
    throw error;
  }
}

/** A version recorded under another name: two releases numbered different changes alike. */
function checkNames(recorded: Map<number, string>, migrations: readonly Migration[]): void {
  for (const migration of migrations) {
    const name = recorded.get(migration.version);
    if (name !== undefined && name !== migration.name) {
      throw new Error(
        `migration ${migration.version} is recorded as "${name}", but this code calls it ` +
          `"${migration.name}": the two releases number their migrations differently`,
      );
    }
  }
}

function checkedMigrations(migrations: readonly Migration[]): readonly Migration[] {
  let previous = 0;
  for (const migration of migrations) {
    const { version, name } = migration;
    if (!Number.isSafeInteger(version) || version <= previous || version > 2 ** 31 - 1) {
      throw new Error(`migration version ${version} must be an integer above ${previous}`);
    }
    if (typeof name !== 'string' || name.length === 0) {
      throw new Error(`migration ${version} needs a name`);
    }
    if ((migration.sql === undefined) === (migration.up === undefined)) {
      throw new Error(`migration ${version} (${name}) needs either sql or up, not both`);
    }
    previous = version;
  }
  return migrations;
}

async function withConnection<T>(
  options: RunMigrationsOptions,
  work: (client: Client | PoolClient) => Promise<T>,
): Promise<T> {
  quoteIdentifier(options.schema);
  if (options.pool) {
    const client = await options.pool.connect();
    let failed: Error | undefined;
    try {
      return await work(client);
    } catch (error) {
      failed = error as Error; // the connection may be broken: the pool drops it
      throw error;
    } finally {
      client.release(failed);
    }
  }
  if (!options.connectionString)
    throw new Error('runMigrations needs a connectionString or a pool');
  const client = new Client({ connectionString: options.connectionString });
  // A connection the server ends fails the pending query; without a listener it would crash.
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
