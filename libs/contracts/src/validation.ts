import type { z } from 'zod';

/** One failing field: a dotted path (`payload.image`, `settings.nodes.2.nodeId`) and why. */
export interface FieldError {
  path: string;
  message: string;
}

export type Validated<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

/** Largest message accepted on any topic; larger ones are dropped before parsing. */
export const MAX_MESSAGE_BYTES = 256 * 1024;

export function toFieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(root)',
    message: issue.message,
  }));
}

/** Validates an already-parsed value against a schema. Unknown fields are tolerated and stripped. */
export function validateWith<T>(schema: z.ZodType<T>, input: unknown): Validated<T> {
  const result = schema.safeParse(input);
  return result.success
    ? { ok: true, value: result.data }
    : { ok: false, errors: toFieldErrors(result.error) };
}

/**
 * Decodes a raw MQTT payload (bytes or text): size limit, JSON, then the schema.
 * Every way a message can be wrong ends as field errors, never as a thrown exception.
 */
export function decodeWith<T>(schema: z.ZodType<T>, raw: Uint8Array | string): Validated<T> {
  const size = typeof raw === 'string' ? Buffer.byteLength(raw) : raw.byteLength;
  if (size > MAX_MESSAGE_BYTES) {
    return {
      ok: false,
      errors: [
        { path: '(root)', message: `message is ${size} bytes, limit is ${MAX_MESSAGE_BYTES}` },
      ],
    };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof raw === 'string' ? raw : Buffer.from(raw).toString('utf8'));
  } catch (err) {
    return {
      ok: false,
      errors: [{ path: '(root)', message: `not JSON: ${(err as Error).message}` }],
    };
  }
  return validateWith(schema, parsed);
}
