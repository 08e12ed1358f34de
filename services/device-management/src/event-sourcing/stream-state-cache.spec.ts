import { StreamStateCache } from './stream-state-cache';

const foldCount = (events: never[]) => events.length;
const foldOther = (events: never[]) => `other ${events.length}`;

describe('StreamStateCache', () => {
  it('gives back a loaded state, and the state after an append of this process', () => {
    const cache = new StreamStateCache(10);
    cache.remember('client/t/a', foldCount, { state: 3, expectedRevision: 2 });

    cache.appended('client/t/a', 4, 3);

    expect(cache.get('client/t/a', foldCount)).toEqual({ state: 4, expectedRevision: 3 });
  });

  it('has nothing for a stream only appended to, a stream not at an exact revision, or another fold', () => {
    const cache = new StreamStateCache(10);
    cache.appended('client/t/new', 1, 0);
    cache.remember('client/t/any', foldCount, { state: 0, expectedRevision: 'no_stream' });
    cache.remember('client/t/a', foldCount, { state: 3, expectedRevision: 2 });

    expect(cache.get('client/t/new', foldCount)).toBeUndefined();
    expect(cache.get('client/t/any', foldCount)).toBeUndefined();
    expect(cache.get('client/t/a', foldOther)).toBeUndefined();
  });

  it('keeps the state of a stream this process created after loading it without events', () => {
    const cache = new StreamStateCache(10);
    cache.remember('client/t/new', foldCount, { state: 0, expectedRevision: 'no_stream' });
    expect(cache.get('client/t/new', foldCount)).toBeUndefined();

    cache.appended('client/t/new', 1, 0, { origin: { correlationId: 'c-1' } });

    expect(cache.get('client/t/new', foldCount)).toEqual({
      state: 1,
      expectedRevision: 0,
      origin: { correlationId: 'c-1' },
    });
  });

  it('drops a stream loaded without events that another append (not its creation) moved', () => {
    const cache = new StreamStateCache(10);
    cache.remember('client/t/new', foldCount, { state: 0, expectedRevision: 'no_stream' });

    cache.appended('client/t/new', 2, 1);

    expect(cache.get('client/t/new', foldCount)).toBeUndefined();
    cache.appended('client/t/new', 1, 0, { origin: {} });
    expect(cache.get('client/t/new', foldCount)).toBeUndefined();
  });

  it('drops a stream whose state after an append it cannot tell, and one it is told to forget', () => {
    const cache = new StreamStateCache(10);
    cache.remember('client/t/a', foldCount, { state: 3, expectedRevision: 2 });
    cache.remember('client/t/b', foldCount, { state: 3, expectedRevision: 2 });

    cache.appended('client/t/a', undefined, 3);
    cache.forget('client/t/b');

    expect(cache.get('client/t/a', foldCount)).toBeUndefined();
    expect(cache.get('client/t/b', foldCount)).toBeUndefined();
  });

  it('keeps the streams used last when full', () => {
    const cache = new StreamStateCache(2);
    cache.remember('a', foldCount, { state: 1, expectedRevision: 0 });
    cache.remember('b', foldCount, { state: 1, expectedRevision: 0 });
    cache.get('a', foldCount);

    cache.remember('c', foldCount, { state: 1, expectedRevision: 0 });

    expect(cache.get('a', foldCount)).toBeDefined();
    expect(cache.get('b', foldCount)).toBeUndefined();
    expect(cache.get('c', foldCount)).toBeDefined();
  });

  it('keeps streams loaded without events apart, so that loads of unknown ones push no state out', () => {
    const cache = new StreamStateCache(20);
    cache.remember('client/t/a', foldCount, { state: 3, expectedRevision: 2 });
    cache.remember('client/t/new', foldCount, { state: 0, expectedRevision: 'no_stream' });

    // A caller naming 1,000 clients that do not exist (each answered 404).
    for (let n = 0; n < 1000; n++) {
      cache.remember(`client/t/unknown-${n}`, foldCount, {
        state: 0,
        expectedRevision: 'no_stream',
      });
    }

    expect(cache.get('client/t/a', foldCount)).toEqual({ state: 3, expectedRevision: 2 });
    // At most 2 streams await their creation here; the oldest was let go, loaded again later.
    cache.appended('client/t/new', 1, 0, { origin: {} });
    expect(cache.get('client/t/new', foldCount)).toBeUndefined();
    cache.appended('client/t/unknown-999', 1, 0, { origin: {} });
    expect(cache.get('client/t/unknown-999', foldCount)).toEqual({
      state: 1,
      expectedRevision: 0,
      origin: {},
    });
  });
});
