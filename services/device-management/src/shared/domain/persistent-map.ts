/** Buckets of a map: with 10,000 keys, about 40 each. */
const BUCKETS = 256;

/**
 * An immutable map from string keys whose `with` copies one bucket (about size/256 entries) and
 * the bucket table, not the whole map. A state folded from thousands of events (a rollout of
 * 10,000 targets records every job's start and end) so evolves in constant time per event, and
 * every earlier state stays valid (a decision tried and thrown away changes nothing).
 */
export class PersistentMap<V> {
  private constructor(
    private readonly buckets: ReadonlyArray<ReadonlyMap<string, V> | undefined>,
    readonly size: number,
  ) {}

  static empty<V>(): PersistentMap<V> {
    return new PersistentMap<V>(new Array(BUCKETS).fill(undefined), 0);
  }

  /** A map of these entries (a later one of a key wins), built in one pass. */
  static of<V>(entries: Iterable<readonly [string, V]>): PersistentMap<V> {
    const buckets: (Map<string, V> | undefined)[] = new Array(BUCKETS).fill(undefined);
    let size = 0;
    for (const [key, value] of entries) {
      const index = bucketOf(key);
      const bucket = (buckets[index] ??= new Map());
      if (!bucket.has(key)) size += 1;
      bucket.set(key, value);
    }
    return new PersistentMap<V>(buckets, size);
  }

  get(key: string): V | undefined {
    return this.buckets[bucketOf(key)]?.get(key);
  }

  has(key: string): boolean {
    return this.buckets[bucketOf(key)]?.has(key) ?? false;
  }

  /** A map with `key` set to `value`; this one is unchanged. */
  with(key: string, value: V): PersistentMap<V> {
    const index = bucketOf(key);
    const bucket = new Map(this.buckets[index]);
    const added = !bucket.has(key);
    bucket.set(key, value);
    const buckets = [...this.buckets];
    buckets[index] = bucket;
    return new PersistentMap(buckets, this.size + (added ? 1 : 0));
  }

  /** Every entry, in no particular order. */
  *entries(): IterableIterator<[string, V]> {
    for (const bucket of this.buckets) if (bucket) yield* bucket.entries();
  }
}

/** FNV-1a of the key's UTF-16 code units, to a bucket. */
function bucketOf(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % BUCKETS;
}
