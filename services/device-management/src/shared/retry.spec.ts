import { backoffDelay, retry, RetryStopped, sleep, type Failure } from './retry';

class Conflict extends Error {}
class Outage extends Error {}
const classify = (error: unknown): Failure =>
  error instanceof Conflict ? 'conflict' : error instanceof Outage ? 'outage' : 'fatal';

/** Work that fails with the given errors, one per attempt, then answers `done`. */
function failingWith(...errors: Error[]) {
  const calls: number[] = [];
  const work = async (attempt: number) => {
    calls.push(attempt);
    const error = errors[calls.length - 1];
    if (error) throw error;
    return 'done';
  };
  return { work, calls };
}

describe('retry', () => {
  it('decides again at once after a conflict, and gives up after a few', async () => {
    const again = failingWith(new Conflict(), new Conflict());
    const retries: number[] = [];
    await expect(
      retry(again.work, { classify, onRetry: ({ delayMs }) => retries.push(delayMs) }),
    ).resolves.toBe('done');
    expect(retries).toEqual([0, 0]);

    const forever = failingWith(...Array.from({ length: 10 }, () => new Conflict('moved')));
    await expect(retry(forever.work, { classify, maxConflicts: 3 })).rejects.toThrow('moved');
    expect(forever.calls).toEqual([0, 1, 2]);
  });

  it('backs off exponentially after an outage, up to the cap, as long as allowed', async () => {
    const outage = failingWith(new Outage(), new Outage(), new Outage());
    const delays: number[] = [];
    await expect(
      retry(outage.work, {
        classify,
        maxBackoffMs: 250,
        onRetry: ({ failure, delayMs }) => delays.push(failure === 'outage' ? delayMs : -1),
      }),
    ).resolves.toBe('done');
    expect(delays[0]).toBeGreaterThanOrEqual(80);
    expect(delays[0]).toBeLessThanOrEqual(120);
    expect(delays[1]).toBeGreaterThanOrEqual(160);
    expect(delays[2]).toBe(250);

    const away = failingWith(new Outage('down'), new Outage('down'), new Outage('still down'));
    await expect(
      retry(away.work, { classify, maxOutageRetries: 2, maxBackoffMs: 1 }),
    ).rejects.toThrow('still down');
    expect(away.calls).toEqual([0, 1, 2]);
  });

  it('throws anything else at once', async () => {
    const broken = failingWith(new Error('a bug'));
    await expect(retry(broken.work, { classify })).rejects.toThrow('a bug');
    expect(broken.calls).toEqual([0]);
  });

  it('stops: a back-off ends at once and no attempt follows', async () => {
    const stopping = new AbortController();
    const away = failingWith(...Array.from({ length: 10 }, () => new Outage('down')));
    const started = Date.now();
    const running = retry(away.work, {
      classify,
      maxBackoffMs: 60_000,
      signal: stopping.signal,
      onRetry: ({ attempt }) => attempt === 3 && stopping.abort(),
    });
    await expect(running).rejects.toBeInstanceOf(RetryStopped);
    await expect(running).rejects.toMatchObject({ lastError: expect.any(Outage) });
    expect(away.calls).toEqual([0, 1, 2, 3]);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('still runs the first attempt once stopped: work already taken is done', async () => {
    const stopped = new AbortController();
    stopped.abort();
    const fine = failingWith();
    await expect(retry(fine.work, { classify, signal: stopped.signal })).resolves.toBe('done');
    const away = failingWith(new Outage('down'));
    await expect(retry(away.work, { classify, signal: stopped.signal })).rejects.toBeInstanceOf(
      RetryStopped,
    );
    expect(away.calls).toEqual([0]);
  });
});

describe('backoffDelay', () => {
  it('grows exponentially and stops at the cap', () => {
    expect(backoffDelay(0, 30_000)).toBeGreaterThanOrEqual(80);
    expect(backoffDelay(0, 30_000)).toBeLessThanOrEqual(120);
    expect(backoffDelay(3, 30_000)).toBeGreaterThanOrEqual(640);
    expect(backoffDelay(3, 30_000)).toBeLessThanOrEqual(960);
    expect(backoffDelay(50, 30_000)).toBe(30_000);
  });
});

describe('sleep', () => {
  it('ends at once when its signal aborts', async () => {
    const stopping = new AbortController();
    const started = Date.now();
    const sleeping = Promise.all([sleep(10_000, stopping.signal), sleep(20_000, stopping.signal)]);
    stopping.abort();
    await sleeping;
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
