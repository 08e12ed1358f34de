/** Capped exponential back-off: 100 ms, 200 ms, 400 ms ... up to `maxMs`, with a little jitter. */
export function backoffDelay(attempt: number, maxMs: number, initialMs = 100): number {
  const exponential = initialMs * 2 ** Math.min(attempt, 20);
  const jitter = 0.8 + Math.random() * 0.4;
  return Math.min(maxMs, Math.round(exponential * jitter));
}

/** A sleep that `wake()` ends early: stopping never waits out a long back-off. */
export class InterruptibleSleep {
  private wakers = new Set<() => void>();

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakers.add(done);
    });
  }

  wake(): void {
    for (const waker of [...this.wakers]) waker();
  }
}
