import { InvalidEventStoreInputError } from '../event-store';

/**
 * A global position of the PostgreSQL store: the pair (transaction id, global position) of an
 * event row, written `"<xid8>:<bigint>"`. Callers treat it as opaque; only this adapter parses it.
 */
export interface PostgresPosition {
  transactionId: bigint;
  globalPosition: bigint;
}

export const START: PostgresPosition = { transactionId: 0n, globalPosition: 0n };

export function encodePosition(
  transactionId: string | bigint,
  globalPosition: string | bigint,
): string {
  return `${String(transactionId)}:${String(globalPosition)}`;
}

export function decodePosition(position: string | undefined): PostgresPosition {
  if (position === undefined) return START;
  const match = /^(\d{1,20}):(\d{1,20})$/.exec(position);
  if (!match) {
    throw new InvalidEventStoreInputError(
      `position ${JSON.stringify(position)} was not issued by the PostgreSQL event store`,
    );
  }
  return { transactionId: BigInt(match[1]), globalPosition: BigInt(match[2]) };
}

/** Negative when a is before b. */
export function comparePositions(a: PostgresPosition, b: PostgresPosition): number {
  if (a.transactionId !== b.transactionId) return a.transactionId < b.transactionId ? -1 : 1;
  if (a.globalPosition !== b.globalPosition) return a.globalPosition < b.globalPosition ? -1 : 1;
  return 0;
}

/**
 * Two non-negative integers in decimal text without leading zeros (an xid8 or a bigint as pg
 * returns them), compared by value without parsing them.
 */
export function compareDecimals(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}
