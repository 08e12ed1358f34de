/** queryEvents: a search over every stream's events, a keyset page at a time. */
import {
  InvalidEventStoreInputError,
  type EventQuery,
  type EventQueryResult,
  type EventScope,
} from '../event-store';
import { tableOf, type StoreConnection } from './connection';
import { likePrefix } from './input';
import { decodePosition } from './position';
import { EVENT_COLUMNS, toRecordedEvent, type EventRow } from './read';

/** A page is read whole into memory: callers that want more read more pages. */
export const MAX_QUERY_PAGE = 10_000;
/** Names, prefixes or ids in one scope: the arrays travel as statement parameters. */
const MAX_SCOPE_ITEMS = 100_000;

/**
 * One statement per page, ordered by the commit-order pair `(transaction_id, global_position)`
 * and continued after the last one read (a keyset, never an OFFSET), so every page costs the
 * same wherever it is. Migration 3 indexes the tenant, actor, type, time and correlation id of
 * the metadata for it.
 */
export async function queryEvents(
  connection: StoreConnection,
  query: EventQuery,
): Promise<EventQueryResult> {
  const backwards = checkedDirection(query.direction) === 'backwards';
  const maxCount = checkedPageSize(query.maxCount);
  const params: unknown[] = [];
  const param = (value: unknown) => `$${params.push(value)}`;
  const conditions = ['transaction_id < pg_snapshot_xmin(pg_current_snapshot())'];
  if (query.after !== undefined) {
    const after = decodePosition(query.after);
    conditions.push(
      `(transaction_id, global_position) ${backwards ? '<' : '>'} (${param(after.transactionId.toString())}::xid8, ${param(after.globalPosition.toString())}::bigint)`,
    );
  }
  if (query.tenantId !== undefined)
    conditions.push(`(metadata->>'tenantId') = ${param(checkedText(query.tenantId, 'tenantId'))}`);
  if (query.actor !== undefined)
    conditions.push(`(metadata->>'actor') = ${param(checkedText(query.actor, 'actor'))}`);
  if (query.types !== undefined)
    conditions.push(`type = ANY (${param(checkedList(query.types, 'types'))}::text[])`);
  if (query.recordedFrom !== undefined)
    conditions.push(`recorded_at >= ${param(checkedDate(query.recordedFrom, 'recordedFrom'))}`);
  if (query.recordedBefore !== undefined)
    conditions.push(`recorded_at < ${param(checkedDate(query.recordedBefore, 'recordedBefore'))}`);
  for (const scope of query.within ?? []) conditions.push(scopeCondition(scope, param));

  const order = backwards ? 'DESC' : 'ASC';
  // One more than asked: whether a next page exists is known without reading it.
  const { rows } = await connection.pool.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM ${tableOf(connection, 'events')}
      WHERE ${conditions.join('\n        AND ')}
      ORDER BY transaction_id ${order}, global_position ${order}
      LIMIT ${param(maxCount + 1)}`,
    params,
  );
  const events = rows.slice(0, maxCount).map(toRecordedEvent);
  return {
    events,
    next: rows.length > maxCount ? events[events.length - 1].position : undefined,
  };
}

function scopeCondition(scope: EventScope, param: (value: unknown) => string): string {
  const anyOf: string[] = [];
  if (scope?.streamNames?.length)
    anyOf.push(
      `stream_name = ANY (${param(checkedList(scope.streamNames, 'streamNames'))}::text[])`,
    );
  if (scope?.streamPrefixes?.length)
    anyOf.push(
      `stream_name LIKE ANY (${param(checkedList(scope.streamPrefixes, 'streamPrefixes').map(likePrefix))}::text[])`,
    );
  if (scope?.correlationIds?.length)
    anyOf.push(
      `(metadata->>'correlationId') = ANY (${param(checkedList(scope.correlationIds, 'correlationIds'))}::text[])`,
    );
  // An empty scope holds no event (an empty list of streams is not "every stream").
  return anyOf.length ? `(${anyOf.join(' OR ')})` : 'false';
}

function checkedDirection(direction: unknown): 'forwards' | 'backwards' {
  if (direction === undefined || direction === 'forwards' || direction === 'backwards') {
    return direction ?? 'forwards';
  }
  throw new InvalidEventStoreInputError(`direction ${String(direction)} is not known`);
}

function checkedPageSize(maxCount: unknown): number {
  if (
    !Number.isSafeInteger(maxCount) ||
    (maxCount as number) < 1 ||
    (maxCount as number) > MAX_QUERY_PAGE
  ) {
    throw new InvalidEventStoreInputError(
      `maxCount ${String(maxCount)} is not a page size (1 to ${MAX_QUERY_PAGE})`,
    );
  }
  return maxCount as number;
}

function checkedText(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 512) {
    throw new InvalidEventStoreInputError(
      `${what} is a non-empty string of at most 512 characters`,
    );
  }
  return value;
}

function checkedList(values: readonly unknown[], what: string): string[] {
  if (!Array.isArray(values) || values.length > MAX_SCOPE_ITEMS) {
    throw new InvalidEventStoreInputError(
      `${what} is a list of at most ${MAX_SCOPE_ITEMS} strings`,
    );
  }
  return values.map((value) => checkedText(value, `each of ${what}`));
}

function checkedDate(value: unknown, what: string): Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new InvalidEventStoreInputError(`${what} is not a valid date`);
  }
  return value;
}
