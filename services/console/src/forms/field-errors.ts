import type { FieldError } from '@opcfleet/contracts/validation';

/** Field errors keyed by dotted path, so each input shows its own beside it. */
export type ErrorsByPath = Record<string, string>;

export function errorsByPath(errors: readonly FieldError[], prefix = ''): ErrorsByPath {
  const byPath: ErrorsByPath = {};
  for (const { path, message } of errors) {
    const key = prefix && path.startsWith(prefix) ? path.slice(prefix.length) : path;
    byPath[key] = byPath[key] ? `${byPath[key]}; ${message}` : message;
  }
  return byPath;
}
