/** Caller input, checked before it reaches SQL: bad input gets a clear error and writes nothing. */
import { InvalidEventStoreInputError, type ExpectedRevision, type NewEvent } from '../event-store';
import { EXPECTED, PLAIN_IDENTIFIER } from './postgres-schema';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function encodeExpected(expected: ExpectedRevision): number {
  if (typeof expected === 'number') {
    if (!Number.isSafeInteger(expected) || expected < 0) {
      throw new InvalidEventStoreInputError(`expectedRevision ${expected} is not a revision`);
    }
    return expected;
  }
  if (!(expected in EXPECTED)) {
    throw new InvalidEventStoreInputError(`expectedRevision ${String(expected)} is not known`);
  }
  return EXPECTED[expected];
}

export function checkedStreamName(streamName: string): string {
  if (typeof streamName !== 'string' || streamName.length === 0 || streamName.length > 512) {
    throw new InvalidEventStoreInputError(
      'a stream name is a non-empty string of at most 512 characters',
    );
  }
  return streamName;
}

export function checkedEventId(event: NewEvent, index: number): string {
  if (typeof event?.id !== 'string' || !UUID.test(event.id)) {
    throw new InvalidEventStoreInputError(`event ${index}: id must be a UUID`);
  }
  return event.id;
}

export function checkedType(event: NewEvent, index: number): string {
  if (typeof event.type !== 'string' || event.type.length === 0) {
    throw new InvalidEventStoreInputError(`event ${index}: type must be a non-empty string`);
  }
  return event.type;
}

export function checkedCount(maxCount: number | undefined): number | null {
  if (maxCount === undefined) return null;
  if (!Number.isSafeInteger(maxCount) || maxCount < 0) {
    throw new InvalidEventStoreInputError(`maxCount ${maxCount} is not a count`);
  }
  return maxCount;
}

/** `stream_name LIKE prefix%`, with LIKE's wildcards in the prefix taken literally. */
export function likePrefix(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** A table or column name from a caller, quoted for SQL: plain identifiers only, never SQL text. */
export function checkedIdentifier(name: unknown, what: string): string {
  if (typeof name !== 'string' || !PLAIN_IDENTIFIER.test(name)) {
    throw new InvalidEventStoreInputError(
      `${what} ${JSON.stringify(name)} is not a plain identifier (lowercase letters, digits, _)`,
    );
  }
  return `"${name}"`;
}

/** `schema.table` or `table`, quoted part by part. */
export function checkedTableName(name: unknown): string {
  if (typeof name !== 'string') return checkedIdentifier(name, 'table');
  const parts = name.split('.');
  if (parts.length > 2) return checkedIdentifier(name, 'table');
  return parts.map((part) => checkedIdentifier(part, `table ${name}: part`)).join('.');
}
