import { z } from 'zod';

/**
 * Tenant and client ids end up as MQTT topic levels, file names and label values, so they are
 * restricted to a safe alphabet: no `/`, `+`, `#`, spaces or control characters, never empty.
 */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export const idSchema = z
  .string()
  .regex(
    ID_PATTERN,
    'must be 1-128 characters of letters, digits, ".", "_" or "-", starting with a letter or digit',
  );

export const uuidSchema = z.uuid();

export function isValidId(value: unknown): value is string {
  return typeof value === 'string' && ID_PATTERN.test(value);
}
