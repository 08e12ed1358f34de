import { createHash } from 'node:crypto';
import type { Pool, QueryConfig, QueryResult, QueryResultRow } from 'pg';

/**
 * At most this many statements are named per process: the store's statements come in a few
 * dozen shapes (the SQL of an append depends on its tables and columns, not on its values), so
 * more means something generates SQL per call, and each name costs memory in every backend.
 */
const MAX_NAMED = 500;

/**
 * Runs the store's statements as named prepared statements: each pooled connection parses a
 * statement once, and after a few executions PostgreSQL may keep its plan. An append statement
 * with its inline projection costs about a millisecond of PostgreSQL's CPU to parse and plan,
 * more than it takes to run (measured with log_min_duration_statement; docs/benchmarks.md).
 *
 * Off for PGlite, whose connections share ONE session: a name prepared by one connection is
 * taken for the next ("prepared statement already exists"); and off by option, for a pooler
 * in transaction mode that hands statements to backends that never saw their Parse.
 */
export class PreparedStatements {
  /** Statement text to name; a Map lookup costs far less than hashing the text each time. */
  private readonly names = new Map<string, string>();
  /** Text of each shape of statement that is built (textOf). */
  private readonly texts = new Map<string, string>();

  constructor(
    private readonly pool: Pool,
    readonly enabled: boolean,
  ) {}

  query<Row extends QueryResultRow = QueryResultRow>(
    text: string,
    values: readonly unknown[] = [],
  ): Promise<QueryResult<Row>> {
    const config: QueryConfig = { text, values: values as unknown[] };
    const name = this.nameOf(text);
    if (name) config.name = name;
    return this.pool.query<Row>(config);
  }

  /**
   * The text of a statement whose text follows from `shape`: built once per shape, then the
   * same string object, whose hash V8 computes once, so the name lookup does not read the text
   * again. Used for PGlite too, where it saves building the text. Bounded like the names.
   */
  textOf(shape: string, build: () => string): string {
    const known = this.texts.get(shape);
    if (known !== undefined) return known;
    const text = build();
    if (this.texts.size < MAX_NAMED) this.texts.set(shape, text);
    return text;
  }

  private nameOf(text: string): string | undefined {
    if (!this.enabled) return undefined;
    const known = this.names.get(text);
    if (known !== undefined || this.names.size >= MAX_NAMED) return known;
    const name = `es_${createHash('sha1').update(text).digest('base64url')}`;
    this.names.set(text, name);
    return name;
  }
}

/** Whether the server at the other end of `pool` is PGlite, where named statements collide. */
export async function isPglite(pool: Pool): Promise<boolean> {
  const { rows } = await pool.query<{ version: string }>('SELECT version() AS version');
  return /pglite/i.test(rows[0]?.version ?? '');
}
