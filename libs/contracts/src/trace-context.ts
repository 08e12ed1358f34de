import { z } from 'zod';

/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/): the `traceparent` that carries a
 * trace from the HTTP request through the job's events, its MQTT command, the device's phases
 * and the status reports back. Only the fields are read here; what a span is stays with each
 * side's tracing adapter.
 */
export interface TraceParent {
  /** 32 lower-case hex digits, not all zero. */
  traceId: string;
  /** 16 lower-case hex digits, not all zero: the span the next one is a child of. */
  spanId: string;
  /** Trace flags; bit 0 set: the caller records (sampled). */
  flags: number;
}

/** Version 00, the one this side writes: exactly these 55 characters. */
const VERSION_00 = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
/** A later version: the same four fields first, maybe more after a dash (the spec's rule). */
const LATER_VERSION = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/**
 * The fields of a `traceparent`, or undefined for anything that is not a valid one (wrong
 * length, upper-case hex, version ff, all-zero ids). A caller treats undefined as "no parent":
 * a malformed header starts a new trace, it is never an error.
 */
export function parseTraceparent(value: unknown): TraceParent | undefined {
  if (typeof value !== 'string' || value.length < 55 || value.length > 512) return undefined;
  const trimmed = value.trim();
  const v00 = VERSION_00.exec(trimmed);
  let fields: [string, string, string] | undefined;
  if (v00) fields = [v00[1]!, v00[2]!, v00[3]!];
  else {
    const later = LATER_VERSION.exec(trimmed);
    // Version 00 with anything else than its 55 characters is invalid; ff is forbidden.
    if (!later || later[1] === '00' || later[1] === 'ff') return undefined;
    fields = [later[2]!, later[3]!, later[4]!];
  }
  const [traceId, spanId, flags] = fields;
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  return { traceId, spanId, flags: Number.parseInt(flags, 16) };
}

/** The version-00 `traceparent` of these fields. */
export function formatTraceparent({ traceId, spanId, flags }: TraceParent): string {
  return `00-${traceId}-${spanId}-${(flags & 0xff).toString(16).padStart(2, '0')}`;
}

/** The canonical form of a valid `traceparent` (a later version written as 00), else undefined. */
export function normalizeTraceparent(value: unknown): string | undefined {
  const parsed = parseTraceparent(value);
  return parsed && formatTraceparent(parsed);
}

/** A version-00 `traceparent` as this side writes it (formatTraceparent). */
export const isCanonicalTraceparent = (value: string): boolean =>
  VERSION_00.test(value) && parseTraceparent(value) !== undefined;

/**
 * The optional `traceparent` of an envelope, in the version-00 form both sides write. A message
 * without one, or with one that is not valid, still parses: the trace context is dropped
 * (undefined), never the message, so old agents, old services and stored messages read as
 * before (an old reader strips the field as it strips every unknown one).
 */
export const traceparentField = z
  .string()
  .refine(isCanonicalTraceparent, 'must be a W3C traceparent (version 00)')
  .optional()
  .catch(undefined);
