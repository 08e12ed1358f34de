/**
 * Read-model rows (ProjectedRow) as parts of a statement: checked, grouped per table, and
 * written by data-modifying CTEs, so that they commit in the statement of an append or of a
 * subscription's checkpoint, with no round trip of their own.
 */
import { InvalidEventStoreInputError, type ProjectedRow } from '../event-store';
import { checkedIdentifier, checkedTableName } from './input';

/** The column in which every projected row keeps the revision of its stream. */
export const REVISION_COLUMN = 'stream_revision';

/** A row, and the stream of a multi-stream append it belongs to. */
export interface SourcedRow {
  row: ProjectedRow;
  /** Ordinal of the stream in the append statement: the row is written only if it was appended. */
  stream?: number;
}

/** One row as the statement receives it: `r` holds the columns, `s` the stream ordinal. */
interface Item {
  s?: number;
  r: Record<string, unknown>;
}

/** Everything one call writes to one table. */
interface TableRows {
  /** Quoted `"schema"."table"`. */
  table: string;
  /** As the caller wrote it, for messages. */
  name: string;
  keys: string[];
  upsert?: { columns: string[]; monotonic: string[]; items: Item[] };
  remove?: { items: Item[] };
  advance?: { columns: string[]; items: Item[] };
  /** Keys upserted or deleted: once each. */
  claimed: Map<string, 'upsert' | 'delete'>;
  advanced: Set<string>;
}

/**
 * The writes of some rows as data-modifying CTEs (`name AS (...)`) of one statement. Their text
 * depends only on `shape`, so a caller may keep the text of a shape and send new `values` with
 * it. Building the text anew for every append allocated about 27 KB per update POST, 12% of
 * all the service allocated for one (sampled under bench:api, 2026-12-01).
 */
export interface RowWrites {
  /** What the text of the CTEs depends on: the tables, their columns and the kinds of write. */
  readonly shape: string;
  /** The parameters of the CTEs, in the order of their placeholders. */
  readonly values: readonly string[];
  /** The CTEs, their placeholders numbered from `$first`. */
  ctes(first: number): string[];
}

/**
 * The writes of `rows`, checked. `onlyAppended`: the statement defines
 * `appended (ord, outcome, ...)`, one row per stream, and a row is written only if its stream's
 * outcome is 'appended' (not for a retried append).
 */
export function rowWrites(
  rows: readonly SourcedRow[],
  { onlyAppended }: { onlyAppended: boolean },
): RowWrites {
  const tables = groupByTable(rows);
  const values: string[] = [];
  // Per table, the index in `values` of the rows of each kind of write it has.
  const slots = tables.map((entry) => {
    const slot: Partial<Record<WriteKind, number>> = {};
    for (const kind of WRITE_KINDS) {
      const items = entry[kind]?.items;
      if (!items) continue;
      slot[kind] = values.length;
      values.push(itemsAsJson(entry, items));
    }
    return slot;
  });
  return {
    shape: JSON.stringify([
      onlyAppended,
      tables.map(({ table, keys, upsert, advance, remove }) => [
        table,
        keys,
        upsert?.columns,
        upsert?.monotonic,
        advance?.columns,
        remove !== undefined,
      ]),
    ]),
    values,
    ctes: (first) =>
      tables.flatMap((entry, index) =>
        tableWrites(
          entry,
          `rows_${index}`,
          (kind) => `$${first + slots[index][kind]!}`,
          onlyAppended,
        ),
      ),
  };
}

/** The kinds of write of a table, in the order their rows take their parameters. */
type WriteKind = 'advance' | 'upsert' | 'remove';
const WRITE_KINDS: readonly WriteKind[] = ['advance', 'upsert', 'remove'];

const q = (column: string) => `"${column}"`;
const invalid = (message: string) => new InvalidEventStoreInputError(message);

function groupByTable(rows: readonly SourcedRow[]): TableRows[] {
  // Keyed by the table as written: its name and columns are checked once per call, not per row.
  const tables = new Map<unknown, TableRows>();
  rows.forEach(({ row, stream }, index) => {
    // Messages are built only for an error: most calls write many rows and have none.
    const what = () => `row ${index} (${String(row?.table)})`;
    if (!row || typeof row !== 'object') throw invalid(`row ${index} is not an object`);
    let entry = tables.get(row.table);
    const key = columnsOf(row.key, entry?.keys, () => `${what()} key`);
    if (!entry) {
      if (key.length === 0) throw invalid(`${what()} has no key columns`);
      const table = checkedTableName(row.table);
      entry = { table, name: row.table, keys: key, claimed: new Map(), advanced: new Set() };
      tables.set(row.table, entry);
    } else if (key !== entry.keys) {
      throw invalid(`${what()}: the rows of one table must share their key columns`);
    }
    const keyValues = entry.keys.map((column) => row.key[column]);
    if (keyValues.some((value) => value === null || value === undefined)) {
      throw invalid(`${what()}: a key column has no value`);
    }
    const keyId = JSON.stringify(keyValues);
    switch (row.op) {
      case undefined:
      case 'upsert': {
        const columns = valueColumnsOf(row.values, entry, entry.upsert?.columns, what);
        const monotonic = [...(row.monotonic ?? [])].sort();
        for (const column of monotonic) {
          if (!columns.includes(column))
            throw invalid(`${what()}: monotonic ${column} is no value`);
        }
        entry.upsert ??= { columns, monotonic, items: [] };
        if (columns !== entry.upsert.columns) {
          throw invalid(`${what()}: the upserts of one table must share their columns`);
        }
        if (!sameColumns(entry.upsert.monotonic, monotonic)) {
          throw invalid(`${what()}: the upserts of one table must share their monotonic columns`);
        }
        claim(entry, keyId, 'upsert', what);
        entry.upsert.items.push(itemOf(stream, row.key, row.values, checkedRevision(row, what)));
        return;
      }
      case 'delete':
        claim(entry, keyId, 'delete', what);
        entry.remove ??= { items: [] };
        entry.remove.items.push(itemOf(stream, row.key, {}, checkedRevision(row, what)));
        return;
      case 'advance': {
        const columns = valueColumnsOf(row.values, entry, entry.advance?.columns, what);
        if (columns.length === 0) throw invalid(`${what()}: an advance moves at least one column`);
        entry.advance ??= { columns, items: [] };
        if (columns !== entry.advance.columns) {
          throw invalid(`${what()}: the advances of one table must share their columns`);
        }
        entry.advanced.add(keyId);
        entry.advance.items.push(itemOf(stream, row.key, row.values));
        return;
      }
      default:
        throw invalid(
          `${what()}: op ${JSON.stringify((row as { op: unknown }).op)} is not upsert, delete or advance`,
        );
    }
  });
  for (const entry of tables.values()) checkAdvancesFit(entry);
  return [...tables.values()];
}

function itemOf(
  stream: number | undefined,
  key: Record<string, unknown>,
  values: Record<string, unknown>,
  revision?: number,
): Item {
  const r: Record<string, unknown> = Object.assign({}, key, values);
  if (revision !== undefined) r[REVISION_COLUMN] = revision;
  return stream === undefined ? { r } : { s: stream, r };
}

function claim(entry: TableRows, keyId: string, op: 'upsert' | 'delete', what: () => string): void {
  if (entry.claimed.has(keyId)) throw invalid(`${what()}: its key is written twice in one call`);
  entry.claimed.set(keyId, op);
}

/**
 * A row both upserted and advanced in one statement gets the advance merged into the upsert
 * (one statement cannot modify a row twice), so the advanced columns must be among its values.
 */
function checkAdvancesFit(entry: TableRows): void {
  for (const keyId of entry.advanced) {
    const op = entry.claimed.get(keyId);
    if (op === 'delete') {
      throw invalid(`${entry.name}: a row deleted in one call cannot be advanced in it`);
    }
    if (
      op === 'upsert' &&
      !entry.advance!.columns.every((c) => entry.upsert!.columns.includes(c))
    ) {
      throw invalid(
        `${entry.name}: a row upserted and advanced in one call must upsert the advanced columns`,
      );
    }
  }
}

/**
 * The sorted column names of `columns`: `known` itself when they are the same (checked before),
 * else checked as identifiers.
 */
function columnsOf(columns: unknown, known: string[] | undefined, what: () => string): string[] {
  if (!columns || typeof columns !== 'object' || Array.isArray(columns)) {
    throw invalid(`${what()} is not an object of columns`);
  }
  const names = Object.keys(columns).sort();
  if (known && sameColumns(known, names)) return known;
  for (const name of names) checkedIdentifier(name, `${what()}: column`);
  return names;
}

function valueColumnsOf(
  values: unknown,
  entry: TableRows,
  known: string[] | undefined,
  what: () => string,
): string[] {
  const columns = columnsOf(values, known, () => `${what()} values`);
  if (columns === known) return columns;
  for (const column of columns) {
    if (entry.keys.includes(column) || column === REVISION_COLUMN) {
      throw invalid(`${what()}: ${column} is a key or the revision column, not a value`);
    }
  }
  return columns;
}

function checkedRevision(row: { revision?: unknown }, what: () => string): number {
  const revision = row.revision;
  if (typeof revision !== 'number' || !Number.isSafeInteger(revision) || revision < 0) {
    throw invalid(`${what()}: revision ${String(revision)} is not a stream revision`);
  }
  return revision;
}

const sameColumns = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((column, i) => column === b[i]);

function itemsAsJson(entry: TableRows, items: Item[]): string {
  try {
    return JSON.stringify(items);
  } catch (error) {
    throw invalid(`rows of ${entry.name} cannot be written as JSON: ${String(error)}`);
  }
}

function tableWrites(
  entry: TableRows,
  name: string,
  placeholder: (kind: WriteKind) => string,
  onlyAppended: boolean,
): string[] {
  const { table, keys, upsert, remove, advance } = entry;
  const source = (kind: WriteKind) =>
    `jsonb_array_elements(${placeholder(kind)}::jsonb) AS x(item)
      ${onlyAppended ? `JOIN appended a ON a.ord = (x.item->>'s')::int AND a.outcome = 'appended'` : ''}
      CROSS JOIN LATERAL jsonb_populate_record(NULL::${table}, x.item->'r') AS r`;
  const sameKey = (a: string, b: string) => keys.map((k) => `${a}.${q(k)} = ${b}.${q(k)}`);
  const rKeys = keys.map((k) => `r.${q(k)}`).join(', ');
  const writes: string[] = [];

  if (advance) {
    writes.push(`${name}_advanced AS (
      SELECT ${rKeys}, ${advance.columns.map((c) => `max(r.${q(c)}) AS ${q(c)}`).join(', ')}
        FROM ${source('advance')}
       GROUP BY ${rKeys})`);
  }
  if (upsert) {
    const columns = [...keys, ...upsert.columns, REVISION_COLUMN];
    const merged = (c: string) =>
      advance?.columns.includes(c) ? `GREATEST(r.${q(c)}, adv.${q(c)})` : `r.${q(c)}`;
    const set = upsert.columns.map((c) =>
      upsert.monotonic.includes(c)
        ? `${q(c)} = GREATEST(t.${q(c)}, EXCLUDED.${q(c)})`
        : `${q(c)} = EXCLUDED.${q(c)}`,
    );
    writes.push(`${name}_upsert AS (
      INSERT INTO ${table} AS t (${columns.map(q).join(', ')})
      SELECT ${columns.map(merged).join(', ')}
        FROM ${source('upsert')}
        ${advance ? `LEFT JOIN ${name}_advanced adv ON ${sameKey('adv', 'r').join(' AND ')}` : ''}
       ORDER BY ${rKeys}
      ON CONFLICT (${keys.map(q).join(', ')}) DO UPDATE
        SET ${[...set, `${q(REVISION_COLUMN)} = EXCLUDED.${q(REVISION_COLUMN)}`].join(', ')}
      WHERE t.${q(REVISION_COLUMN)} < EXCLUDED.${q(REVISION_COLUMN)}
      ${advance ? `RETURNING ${keys.map((k) => `t.${q(k)}`).join(', ')}` : ''})`);
  }
  if (remove) {
    writes.push(`${name}_delete AS (
      DELETE FROM ${table} AS t
       USING (SELECT ${rKeys}, r.${q(REVISION_COLUMN)} FROM ${source('remove')}) d
       WHERE ${sameKey('t', 'd').join(' AND ')}
         AND t.${q(REVISION_COLUMN)} < d.${q(REVISION_COLUMN)})`);
  }
  if (advance) {
    // A row the upsert wrote has the advance in it already.
    writes.push(`${name}_advance AS (
      UPDATE ${table} AS t
         SET ${advance.columns.map((c) => `${q(c)} = GREATEST(t.${q(c)}, d.${q(c)})`).join(', ')}
        FROM ${name}_advanced d
       WHERE ${sameKey('t', 'd').join(' AND ')}
       ${upsert ? `AND NOT EXISTS (SELECT 1 FROM ${name}_upsert u WHERE ${sameKey('u', 'd').join(' AND ')})` : ''})`);
  }
  return writes;
}
