/** Reading: a stream, several streams, $all in commit order, and what a subscriber waits for. */
import type {
  ReadAllOptions,
  ReadAllResult,
  ReadStreamOptions,
  RecordedEvent,
} from '../event-store';
import { tableOf, type StoreConnection } from './connection';
import { checkedCount, checkedStreamName, likePrefix } from './input';
import { compareDecimals, comparePositions, decodePosition, encodePosition } from './position';

export interface EventRow {
  tx: string;
  global_position: string;
  event_id: string;
  stream_name: string;
  stream_revision: string;
  type: string;
  data: unknown;
  metadata: RecordedEvent['metadata'];
  recorded_at: Date;
}

// The xid8 goes out as text under another name: an output column named transaction_id would
// take precedence in ORDER BY and sort the cursor as text ("1000" < "999").
export const EVENT_COLUMNS =
  'transaction_id::text AS tx, global_position, event_id, stream_name, stream_revision, type, data, metadata, recorded_at';

export async function readStream(
  connection: StoreConnection,
  streamName: string,
  options: ReadStreamOptions = {},
): Promise<RecordedEvent[]> {
  const backwards = options.direction === 'backwards';
  const from = options.fromRevision ?? (backwards ? Number.MAX_SAFE_INTEGER : 0);
  const { rows } = await connection.statements.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM ${tableOf(connection, 'events')}
      WHERE stream_name = $1 AND stream_revision ${backwards ? '<=' : '>='} $2
      ORDER BY stream_revision ${backwards ? 'DESC' : 'ASC'}
      LIMIT $3`,
    [checkedStreamName(streamName), from, checkedCount(options.maxCount)],
  );
  return rows.map(toRecordedEvent);
}

/** Every event of each named stream, in revision order; a stream that does not exist is absent. */
export async function readStreams(
  connection: StoreConnection,
  streamNames: readonly string[],
): Promise<Map<string, RecordedEvent[]>> {
  const streams = new Map<string, RecordedEvent[]>();
  if (streamNames.length === 0) return streams;
  const { rows } = await connection.statements.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM ${tableOf(connection, 'events')}
      WHERE stream_name = ANY ($1::text[])
      ORDER BY stream_name, stream_revision`,
    [streamNames.map(checkedStreamName)],
  );
  for (const row of rows) {
    const event = toRecordedEvent(row);
    const list = streams.get(event.streamName);
    if (list) list.push(event);
    else streams.set(event.streamName, [event]);
  }
  return streams;
}

export async function readAll(
  connection: StoreConnection,
  options: ReadAllOptions = {},
): Promise<ReadAllResult> {
  const events = tableOf(connection, 'events');
  const after = decodePosition(options.after);
  const maxCount = checkedCount(options.maxCount);
  const filtered = Boolean(options.streamPrefixes?.length || options.eventTypes?.length);
  // One snapshot for the page, whether events wait behind the horizon (the subscriber's next
  // look, without a query of its own) and, filtered, the last visible event: when the page is
  // not full, every visible event up to it was either returned or filtered out, so the cursor
  // may jump there. Without the jump a subscriber to a rare prefix rescans the others' events
  // on every poll.
  const { rows } = await connection.statements.query<
    EventRow & { last_tx: string | null; last_pos: string | null; blocked: boolean }
  >(
    `WITH horizon AS MATERIALIZED (
       SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin
     )
     SELECT page.*, state.blocked, state.last_tx, state.last_pos
       FROM (
         SELECT h.xmin, waiting.transaction_id IS NOT NULL AS blocked, ${
           filtered ? 'last_visible.*' : 'NULL::text AS last_tx, NULL::bigint AS last_pos'
         }
           FROM horizon h
           -- In index order, so that it is one probe (an EXISTS was planned as a scan).
           LEFT JOIN LATERAL (
             SELECT e.transaction_id FROM ${events} e WHERE e.transaction_id >= h.xmin
              ORDER BY e.transaction_id, e.global_position LIMIT 1
           ) waiting ON true
           ${
             filtered
               ? `LEFT JOIN LATERAL (
             SELECT e.transaction_id::text AS last_tx, e.global_position AS last_pos
               FROM ${events} e WHERE e.transaction_id < h.xmin
              ORDER BY e.transaction_id DESC, e.global_position DESC LIMIT 1
           ) last_visible ON true`
               : ''
           }
       ) state
       -- One row of state, the page joined to it in a nested loop: the rows come in the page's
       -- index order without a sort of the page (checked below all the same).
       LEFT JOIN LATERAL (
         SELECT ${EVENT_COLUMNS}
           FROM ${events}
          WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)
            AND transaction_id < state.xmin
            ${
              filtered
                ? `AND stream_name LIKE ANY ($4::text[])
            AND ($5::text[] IS NULL OR type = ANY ($5::text[]))`
                : ''
            }
          ORDER BY transaction_id, global_position
          LIMIT $3
       ) page ON true`,
    [
      after.transactionId.toString(),
      after.globalPosition.toString(),
      maxCount,
      ...(filtered
        ? [
            (options.streamPrefixes?.length ? options.streamPrefixes : ['']).map(likePrefix),
            options.eventTypes?.length ? options.eventTypes : null,
          ]
        : []),
    ],
  );
  const blocked = rows[0].blocked;
  const read = inCommitOrder(rows.filter((row) => row.event_id !== null)).map(toRecordedEvent);
  if (read.length > 0 && (!filtered || read.length === maxCount)) {
    return { events: read, next: read[read.length - 1].position, blocked };
  }
  const { last_tx: lastTx, last_pos: lastPos } = rows[0];
  if (!filtered || lastTx === null || lastPos === null) {
    return { events: read, next: options.after, blocked };
  }
  const last = { transactionId: BigInt(lastTx), globalPosition: BigInt(lastPos) };
  const next =
    comparePositions(last, after) > 0
      ? encodePosition(last.transactionId, last.globalPosition)
      : options.after;
  return { events: read, next, blocked };
}

/** The rows sorted by position, which they come in already (checked; sorted only if not). */
function inCommitOrder<Row extends EventRow>(rows: Row[]): Row[] {
  // On the rows' decimal text: a check per row that allocates nothing.
  const compare = (a: Row, b: Row) =>
    compareDecimals(a.tx, b.tx) || compareDecimals(a.global_position, b.global_position);
  for (let i = 1; i < rows.length; i++) {
    if (compare(rows[i - 1], rows[i]) >= 0) return [...rows].sort(compare);
  }
  return rows;
}

/** The last committed event matching the prefixes (ignoring the horizon): caughtUp's target. */
export async function lastPosition(
  connection: StoreConnection,
  prefixes: string[] | undefined,
): Promise<string | undefined> {
  const { rows } = await connection.statements.query<{ tx: string; pos: string }>(
    `SELECT transaction_id::text AS tx, global_position AS pos FROM ${tableOf(connection, 'events')}
      ${prefixes?.length ? 'WHERE stream_name LIKE ANY ($1::text[])' : ''}
      ORDER BY transaction_id DESC, global_position DESC LIMIT 1`,
    prefixes?.length ? [prefixes.map(likePrefix)] : [],
  );
  return rows[0] ? encodePosition(rows[0].tx, rows[0].pos) : undefined;
}

export function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    id: row.event_id,
    streamName: row.stream_name,
    type: row.type,
    data: row.data,
    metadata: row.metadata,
    revision: Number(row.stream_revision),
    position: encodePosition(row.tx, row.global_position),
    recordedAt: row.recorded_at,
  };
}
