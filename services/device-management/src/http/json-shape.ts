/**
 * Checks on the shape of a request's JSON that must run before anything recursive touches it
 * (JSON.parse's reviver, class-transformer, class-validator, zod): each works with an explicit
 * stack or a counter, so no input can overflow the call stack here.
 */

/** Deepest nesting of objects and arrays in a body; the deepest legitimate one (config settings) has 5. */
export const MAX_JSON_DEPTH = 16;

/** Keys that reach an object's prototype in JavaScript: refused wherever they appear. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set([
  '__proto__',
  'constructor',
  'prototype',
]);

/** Whether the JSON text nests objects and arrays deeper than `max`; brackets inside strings do not count. */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (inString) {
      if (char === BACKSLASH) i++;
      else if (char === QUOTE) inString = false;
    } else if (char === QUOTE) {
      inString = true;
    } else if (char === OPEN_BRACE || char === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (char === CLOSE_BRACE || char === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

/** Dotted paths (`labels.__proto__`, `settings.nodes.0.constructor`) of every forbidden key in `value`. */
export function forbiddenKeyPaths(value: unknown): string[] {
  return pathsWhere(value, (key) => FORBIDDEN_KEYS.has(key));
}

/**
 * Dotted paths of every key or string in `value` that holds U+0000, which PostgreSQL cannot
 * store in text or jsonb (a 400 before it, not a 500 from it). Only a `\u0000` escape in the
 * body's text can make one: `mayHoldNul` tells whether to look.
 */
export function nulCharacterPaths(value: unknown): string[] {
  return pathsWhere(
    value,
    (key, child) => key.includes('\0') || (typeof child === 'string' && child.includes('\0')),
  );
}

/** Whether JSON text can decode to a string holding U+0000 (the escape, in either case). */
export const mayHoldNul = (text: string): boolean => /\\u0000/i.test(text);

/** Dotted paths of the members of `value` (at any depth) for which `test` holds, sorted. */
function pathsWhere(value: unknown, test: (key: string, child: unknown) => boolean): string[] {
  const found: string[] = [];
  const stack: Array<[unknown, string]> = [[value, '']];
  while (stack.length > 0) {
    const [node, path] = stack.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    for (const key of Object.keys(node)) {
      const childPath = path ? `${path}.${key}` : key;
      const child = (node as Record<string, unknown>)[key];
      if (test(key, child)) found.push(childPath);
      stack.push([child, childPath]);
    }
  }
  return found.sort();
}

/**
 * Dotted paths of the keys of `input` that a schema dropped from `parsed` (zod strips unknown
 * keys): the unknown fields of an input that is otherwise valid.
 */
export function droppedKeyPaths(input: unknown, parsed: unknown): string[] {
  const found: string[] = [];
  const stack: Array<[unknown, unknown, string]> = [[input, parsed, '']];
  while (stack.length > 0) {
    const [given, kept, path] = stack.pop()!;
    if (!isContainer(given) || !isContainer(kept)) continue;
    for (const key of Object.keys(given)) {
      const childPath = path ? `${path}.${key}` : key;
      if (!Object.prototype.hasOwnProperty.call(kept, key)) found.push(childPath);
      else
        stack.push([
          (given as Record<string, unknown>)[key],
          (kept as Record<string, unknown>)[key],
          childPath,
        ]);
    }
  }
  return found.sort();
}

const isContainer = (value: unknown): value is object =>
  typeof value === 'object' && value !== null;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
