/** What the store keeps about streams besides their events: metadata, and their names. */
import {
  InvalidEventStoreInputError,
  type StreamMetadata,
  type StreamRename,
} from '../event-store';
import { inTransaction, tableOf, type StoreConnection } from './connection';
import { checkedStreamName } from './input';

export async function setStreamMetadata(
  connection: StoreConnection,
  streamName: string,
  metadata: StreamMetadata,
): Promise<void> {
  await connection.pool.query(
    `INSERT INTO ${tableOf(connection, 'stream_metadata')} (stream_name, metadata, updated_at)
     VALUES ($1, $2::jsonb, now())
     ON CONFLICT (stream_name) DO UPDATE SET metadata = EXCLUDED.metadata, updated_at = now()`,
    [checkedStreamName(streamName), JSON.stringify(metadata)],
  );
}

export async function getStreamMetadata(
  connection: StoreConnection,
  streamName: string,
): Promise<StreamMetadata | undefined> {
  const { rows } = await connection.pool.query<{ metadata: StreamMetadata }>(
    `SELECT metadata FROM ${tableOf(connection, 'stream_metadata')} WHERE stream_name = $1`,
    [checkedStreamName(streamName)],
  );
  return rows[0]?.metadata;
}

/** See EventStore.renameStreams: all or nothing, events keep everything but their stream name. */
export async function renameStreams(
  connection: StoreConnection,
  renames: readonly StreamRename[],
): Promise<void> {
  if (renames.length === 0) return;
  const from = renames.map((rename) => checkedStreamName(rename.from));
  const to = renames.map((rename) => checkedStreamName(rename.to));
  const names = new Set([...from, ...to]);
  if (names.size !== from.length + to.length) {
    throw new InvalidEventStoreInputError('a rename names each stream once, old or new');
  }
  await inTransaction(connection, async (client) => {
    const taken = await client.query<{ stream_name: string }>(
      `SELECT stream_name FROM ${tableOf(connection, 'streams')} WHERE stream_name = ANY ($1::text[])
        UNION SELECT stream_name FROM ${tableOf(connection, 'stream_metadata')}
        WHERE stream_name = ANY ($1::text[]) LIMIT 1`,
      [to],
    );
    if (taken.rows.length > 0) {
      throw new InvalidEventStoreInputError(
        `cannot rename a stream to ${taken.rows[0].stream_name}: that stream exists`,
      );
    }
    for (const table of ['streams', 'events', 'stream_metadata']) {
      await client.query(
        `UPDATE ${tableOf(connection, table)} t SET stream_name = r.to_name
           FROM unnest($1::text[], $2::text[]) AS r(from_name, to_name)
          WHERE t.stream_name = r.from_name`,
        [from, to],
      );
    }
  });
}
