import fc from 'fast-check';
import {
  droppedKeyPaths,
  forbiddenKeyPaths,
  mayHoldNul,
  nestsDeeperThan,
  nulCharacterPaths,
} from './json-shape';

/** Depth of a parsed value, the slow and obvious way (fine for the small values generated here). */
function depthOf(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  const children = Object.values(value);
  return 1 + Math.max(0, ...children.map(depthOf));
}

describe('nestsDeeperThan', () => {
  it('agrees with the depth of the parsed value, brackets inside strings aside', () => {
    const json = fc.jsonValue({ maxDepth: 6 }).map((value) => JSON.stringify(value));
    const bracketyStrings = fc.string({
      unit: fc.constantFrom('{', '[', '"', '\\', '}', ']', 'a'),
    });
    fc.assert(
      fc.property(
        fc.oneof(
          json,
          bracketyStrings.map((s) => JSON.stringify({ [s]: [s, { s }] })),
        ),
        fc.integer({ min: 0, max: 8 }),
        (text, max) => nestsDeeperThan(text, max) === depthOf(JSON.parse(text)) > max,
      ),
    );
  });

  it('answers for 100,000 levels without recursing', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    expect(nestsDeeperThan(deep, 16)).toBe(true);
    expect(nestsDeeperThan('{"a":"[[[[[[[[[[[[[[[[[[[["}', 16)).toBe(false);
  });
});

describe('forbiddenKeyPaths', () => {
  it('names every __proto__, constructor and prototype key, however deep', () => {
    const value = JSON.parse(
      '{"__proto__":{"x":1},"labels":{"constructor":"a"},"list":[{"prototype":{"__proto__":0}}],"ok":{"proto":1}}',
    );
    expect(forbiddenKeyPaths(value)).toEqual([
      '__proto__',
      'labels.constructor',
      'list.0.prototype',
      'list.0.prototype.__proto__',
    ]);
    expect(forbiddenKeyPaths({ a: [1, { b: 'constructor' }] })).toEqual([]);
  });
});

describe('droppedKeyPaths', () => {
  it('names the keys a schema left out of its output', () => {
    const input = { a: 1, extra: 2, nested: [{ keep: 1, colour: 'red' }], deep: { x: { y: 1 } } };
    const parsed = { a: 1, nested: [{ keep: 1, added: 'default' }], deep: { x: {} } };
    expect(droppedKeyPaths(input, parsed)).toEqual(['deep.x.y', 'extra', 'nested.0.colour']);
    expect(droppedKeyPaths(input, input)).toEqual([]);
  });
});

describe('nulCharacterPaths', () => {
  it('names every string and key that holds U+0000, at any depth', () => {
    const body = JSON.parse(
      '{"notes":"a\\u0000b","labels":{"k\\u0000":"v"},"list":["ok","\\u0000"]}',
    );
    expect(nulCharacterPaths(body)).toEqual(['labels.k\u0000', 'list.1', 'notes']);
    expect(nulCharacterPaths({ notes: 'plain', n: 0 })).toEqual([]);
  });

  it('is looked for only when the text holds the escape', () => {
    expect(mayHoldNul('{"notes":"a\\u0000"}')).toBe(true);
    expect(mayHoldNul('{"notes":"\\u00e9"}')).toBe(false);
  });
});
