import { backoffDelay, InterruptibleSleep } from './backoff';

describe('backoffDelay', () => {
  it('grows exponentially and stops at the cap', () => {
    expect(backoffDelay(0, 30_000)).toBeGreaterThanOrEqual(80);
    expect(backoffDelay(0, 30_000)).toBeLessThanOrEqual(120);
    expect(backoffDelay(3, 30_000)).toBeGreaterThanOrEqual(640);
    expect(backoffDelay(3, 30_000)).toBeLessThanOrEqual(960);
    expect(backoffDelay(50, 30_000)).toBe(30_000);
  });
});

describe('InterruptibleSleep', () => {
  it('wakes every sleeper at once', async () => {
    const sleep = new InterruptibleSleep();
    const started = Date.now();
    const sleeping = Promise.all([sleep.sleep(10_000), sleep.sleep(20_000)]);
    sleep.wake();
    await sleeping;
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
