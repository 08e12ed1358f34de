import type { Client } from 'pg';
import type { NewEvent } from '@opcfleet/event-store';

/**
 * Appends through the store's SQL function on the caller's connection, the way the adapter
 * calls it (expected revision `any`): for a store written by an earlier release, or a
 * transaction held open by the test.
 */
export async function appendThroughFunction(
  client: Client,
  schema: string,
  streamName: string,
  events: readonly NewEvent[],
): Promise<void> {
  await client.query(
    `SELECT ${schema}.append_to_stream($1, -1, $2::uuid[], $3::text[], $4::text[]::jsonb[], $5::text[]::jsonb[])`,
    [
      streamName,
      events.map((event) => event.id),
      events.map((event) => event.type),
      events.map((event) => JSON.stringify(event.data ?? null)),
      events.map((event) => JSON.stringify(event.metadata ?? {})),
    ],
  );
}
