import { PersistentMap } from './persistent-map';

describe('PersistentMap', () => {
  it('finds what was set and leaves the map it came from as it was', () => {
    const empty = PersistentMap.empty<number>();
    const one = empty.with('press-07', 1);
    const two = one.with('press-08', 2).with('press-07', 3);

    expect(empty.get('press-07')).toBeUndefined();
    expect(one.get('press-07')).toBe(1);
    expect(two.get('press-07')).toBe(3);
    expect(two.get('press-08')).toBe(2);
    expect([empty.size, one.size, two.size]).toEqual([0, 1, 2]);
    expect(two.has('press-09')).toBe(false);
  });

  it('holds 10,000 keys, each once, whatever bucket they fall in', () => {
    let map = PersistentMap.empty<number>();
    for (let i = 0; i < 10_000; i++) map = map.with(`dev-${i}`, i);
    map = map.with('dev-42', -42);

    const entries = new Map(map.entries());
    expect(map.size).toBe(10_000);
    expect(entries.size).toBe(10_000);
    expect(entries.get('dev-42')).toBe(-42);
    expect(entries.get('dev-9999')).toBe(9999);
  });

  it('is built from entries at once, and grows from there like any other', () => {
    const built = PersistentMap.of([
      ['press-07', 1],
      ['press-08', 2],
      ['press-07', 3],
    ]);
    const grown = built.with('press-09', 4);

    expect([built.size, grown.size]).toEqual([2, 3]);
    expect(built.get('press-07')).toBe(3);
    expect(built.has('press-09')).toBe(false);
    expect(grown.get('press-09')).toBe(4);
  });
});
