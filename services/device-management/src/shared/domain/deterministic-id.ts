import { createHash } from 'node:crypto';

/** Namespace of the service's name-based UUIDs (a random v4, fixed once). */
const NAMESPACE = Buffer.from('5b1c7a0e9d2f4c3a8e6b1f0a2d4c6e8f', 'hex');

/**
 * A name-based UUID (version 5, RFC 9562): the same name always gives the same id. Events
 * derived from an outside fact (report `seq` of job X) get such ids, so appending them twice
 * is a no-op in the event store: idempotency without a separate dedupe table.
 */
export function deterministicId(name: string): string {
  const hash = createHash('sha1').update(NAMESPACE).update(name).digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
