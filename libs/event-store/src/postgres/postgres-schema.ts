/** Names and codes shared by the PostgreSQL adapter's SQL; the tables are in ./migrations. */

/** A plain PostgreSQL identifier: needs no quoting rules beyond the double quotes. */
export const PLAIN_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** Quotes an identifier for SQL; schema names come from configuration, never from users. */
export function quoteIdentifier(name: string): string {
  if (!PLAIN_IDENTIFIER.test(name)) {
    throw new Error(
      `invalid schema name ${JSON.stringify(name)}: use lowercase letters, digits, _`,
    );
  }
  return `"${name}"`;
}

/** The channel a commit notifies; one per schema so stores in other schemas stay quiet. */
export function notifyChannel(schema: string): string {
  return `${schema}_events`;
}

/** Encodes expectedRevision for the append function: -1 any, -2 no_stream, -3 stream_exists. */
export const EXPECTED = { any: -1, no_stream: -2, stream_exists: -3 } as const;

/** Raised by check_all_appended: one stream of an all-or-nothing multi-stream append refused. */
export const ALL_OR_NOTHING_SQLSTATE = 'OS409';
