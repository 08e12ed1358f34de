import { Client } from 'pg';
import { PROJECTED_TABLES } from '../../../services/device-management/src/read-models/read-model.entities';
import { ManagedProcess } from './child-process';
import { builtScript } from './paths';

/** Every row of every projected read-model table, as canonical JSON, by table. */
export type ReadModelSnapshot = Map<string, string[]>;

/** Reads every projected table (read_models.clients, jobs, rollouts, ...) of the database. */
export async function snapshotReadModels(databaseUrl: string): Promise<ReadModelSnapshot> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const snapshot: ReadModelSnapshot = new Map();
    for (const table of PROJECTED_TABLES) {
      const { rows } = await client.query<{ row: string }>(
        `SELECT to_jsonb(t)::text AS row FROM ${table} t`,
      );
      snapshot.set(table, rows.map((r) => r.row).sort());
    }
    return snapshot;
  } finally {
    await client.end();
  }
}

/**
 * The rows one snapshot has and the other has not, per table (`-` only in `a`, `+` only in
 * `b`), at most `limit` of each kind per table: empty when both hold the same rows.
 */
export function readModelDifferences(
  a: ReadModelSnapshot,
  b: ReadModelSnapshot,
  limit = 5,
): string[] {
  const differences: string[] = [];
  for (const table of new Set([...a.keys(), ...b.keys()])) {
    const left = new Set(a.get(table) ?? []);
    const right = new Set(b.get(table) ?? []);
    const onlyLeft = [...left].filter((row) => !right.has(row));
    const onlyRight = [...right].filter((row) => !left.has(row));
    if (onlyLeft.length + onlyRight.length === 0) continue;
    differences.push(
      `${table}: ${onlyLeft.length} row(s) only before, ${onlyRight.length} only after`,
      ...onlyLeft.slice(0, limit).map((row) => `  - ${row}`),
      ...onlyRight.slice(0, limit).map((row) => `  + ${row}`),
    );
  }
  return differences;
}

/**
 * `npm run projections:rebuild` from dist/ against the database: empties the projected tables
 * and projects every event again. Run it with no service replica up.
 */
export async function rebuildReadModels(databaseUrl: string, logDir: string): Promise<void> {
  const rebuild = new ManagedProcess({
    name: 'rebuild-read-models',
    command: 'node',
    args: [
      builtScript('services/device-management/src/read-models/rebuild/rebuild-read-models.cli.js'),
    ],
    env: { DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' },
    logDir,
  });
  rebuild.start();
  const code = await rebuild.untilExit();
  await rebuild.closeLog();
  if (code !== 0) {
    throw new Error(`the read-model rebuild exited ${code}: ${rebuild.logFile}\n${rebuild.tail()}`);
  }
}
