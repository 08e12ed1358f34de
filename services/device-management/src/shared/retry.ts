/**
 * The one retry loop of the service. It tells three kinds of failure apart, as the caller
 * classifies them:
 *
 * - `conflict`: another writer got in between (optimistic concurrency): load and decide again,
 *   at once, a few times;
 * - `outage`: the database or the broker is away: try again after a capped exponential
 *   back-off, as long as the caller allows;
 * - `fatal`: anything else: thrown at once, as it is.
 *
 * And it stops: once `signal` aborts, a back-off ends at once and no further attempt starts
 * (RetryStopped). The first attempt always runs: work already accepted is still done.
 */
export type Failure = 'conflict' | 'outage' | 'fatal';

export interface RetryOptions {
  classify(error: unknown): Failure;
  /** Attempts that may end in a conflict; the last conflict is thrown (default 5). */
  maxConflicts?: number;
  /** Outages tried again after a back-off; then the last one is thrown (default: no end). */
  maxOutageRetries?: number;
  /** Cap of the back-off after an outage (default 30 s). */
  maxBackoffMs?: number;
  /** Ends back-offs and retries: the worker that runs the loop is stopping. */
  signal?: AbortSignal;
  /** Told before each retry: what failed, how, which attempt, and the wait before the next. */
  onRetry?(retry: {
    error: unknown;
    failure: 'conflict' | 'outage';
    attempt: number;
    delayMs: number;
  }): void;
}

/** The loop gave up because its worker is stopping; `lastError` is what failed before. */
export class RetryStopped extends Error {
  constructor(readonly lastError: unknown) {
    super('stopped before the work could be done');
    this.name = 'RetryStopped';
  }
}

/** Runs `work` (given the attempt's number, from 0) until it succeeds or gives up. */
export async function retry<T>(
  work: (attempt: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const { signal, maxConflicts = 5, maxOutageRetries = Infinity } = options;
  let conflicts = 0;
  let outages = 0;
  for (let attempt = 0; ; attempt++) {
    try {
      return await work(attempt);
    } catch (error) {
      const failure = options.classify(error);
      if (failure === 'fatal') throw error;
      if (failure === 'conflict' && ++conflicts >= maxConflicts) throw error;
      if (failure === 'outage' && outages >= maxOutageRetries) throw error;
      if (signal?.aborted) throw new RetryStopped(error);
      const delayMs =
        failure === 'outage' ? backoffDelay(outages++, options.maxBackoffMs ?? 30_000) : 0;
      options.onRetry?.({ error, failure, attempt, delayMs });
      if (delayMs > 0) await sleep(delayMs, signal);
      if (signal?.aborted) throw new RetryStopped(error);
    }
  }
}

/** Capped exponential back-off: 100 ms, 200 ms, 400 ms ... up to `maxMs`, with a little jitter. */
export function backoffDelay(attempt: number, maxMs: number, initialMs = 100): number {
  const exponential = initialMs * 2 ** Math.min(attempt, 20);
  const jitter = 0.8 + Math.random() * 0.4;
  return Math.min(maxMs, Math.round(exponential * jitter));
}

/** Waits `ms`, or less when `signal` aborts: stopping never waits out a long back-off. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
