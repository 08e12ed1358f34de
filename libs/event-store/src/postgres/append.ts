/** Appending to one stream: one call of the append function, one round trip. */
import {
  DuplicateEventIdsError,
  WrongExpectedRevisionError,
  type AppendOptions,
  type AppendResult,
  type ExpectedRevision,
  type NewEvent,
} from '../event-store';
import { tableOf, type StoreConnection } from './connection';
import { checkedEventId, checkedStreamName, checkedType, encodeExpected } from './input';
import { encodePosition } from './position';

/** What the append function answers for one stream. */
export interface AppendRow {
  outcome: 'appended' | 'duplicate' | 'wrong_revision' | 'partial_duplicate';
  revision: string;
  tx: string | null;
  pos: string | null;
}

export async function appendToStream(
  connection: StoreConnection,
  streamName: string,
  events: NewEvent[],
  options: AppendOptions = {},
): Promise<AppendResult> {
  const expected = options.expectedRevision ?? 'any';
  const params = [
    checkedStreamName(streamName),
    encodeExpected(expected),
    events.map((event, index) => checkedEventId(event, index)),
    events.map((event, index) => checkedType(event, index)),
    events.map((event) => JSON.stringify(event.data ?? null)),
    events.map((event) => JSON.stringify(event.metadata ?? {})),
  ];
  const sql = `SELECT outcome, revision, tx::text, pos
    FROM ${tableOf(connection, 'append_to_stream')}($1, $2, $3::uuid[], $4::text[], $5::text[]::jsonb[], $6::text[]::jsonb[])`;

  const { rows } = await connection.statements.query<AppendRow>(sql, params);
  const result = appendResult(streamName, expected, events, rows[0]);
  connection.signal.committed();
  return result;
}

/** The result of an append that took its events (or had them already); the typed error otherwise. */
function appendResult(
  streamName: string,
  expected: ExpectedRevision,
  events: readonly NewEvent[],
  row: AppendRow,
): AppendResult {
  const revision = Number(row.revision);
  switch (row.outcome) {
    case 'wrong_revision':
      throw new WrongExpectedRevisionError(streamName, expected, actualRevision(revision));
    case 'partial_duplicate':
      throw new DuplicateEventIdsError(
        streamName,
        events.map((event) => event.id),
      );
    default:
      return { nextExpectedRevision: revision, position: appendedPosition(row) };
  }
}

/** The revision the append function reports, -1 for a stream without events. */
export const actualRevision = (revision: number): number | 'no_stream' =>
  revision < 0 ? 'no_stream' : revision;

/** Position of the stream's last event; an empty append to an empty stream has none: the start. */
export const appendedPosition = (row: AppendRow): string =>
  row.tx === null ? encodePosition(0n, 0n) : encodePosition(row.tx, row.pos!);
