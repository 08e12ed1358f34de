import { DomainError } from '../shared/domain/domain-error';
import type { AuditOrder } from './audit-filter';

/**
 * The opaque cursor of an audit page: the order it was read in and the event store's position
 * of the page's last event (itself opaque: the store refuses one it did not issue).
 */
export const encodeAuditCursor = (order: AuditOrder, position: string): string =>
  Buffer.from(JSON.stringify({ v: 1, order, position })).toString('base64url');

/** The store's position to continue after; 400 for a cursor this API did not return. */
export function decodeAuditCursor(cursor: string, order: AuditOrder): string {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidAuditCursor('cursor is not one this API returned');
  }
  const { v, order: cursorOrder, position } = (decoded ?? {}) as Record<string, unknown>;
  if (v !== 1 || typeof position !== 'string' || position.length > 200) {
    throw invalidAuditCursor('cursor is not one this API returned');
  }
  if (cursorOrder !== order) {
    throw invalidAuditCursor(`cursor belongs to order=${String(cursorOrder)}, not ${order}`);
  }
  return position;
}

export const invalidAuditCursor = (message: string) =>
  new DomainError('invalid_input', message, { fieldErrors: [{ path: 'cursor', message }] });
