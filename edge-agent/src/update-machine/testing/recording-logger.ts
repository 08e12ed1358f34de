import type { Logger } from '../logger';

/**
 * A logger that keeps its messages, for tests that wait on what the agent says: `waitFor`
 * resolves once a message matching the pattern has been logged (at any level).
 */
export function recordingLogger() {
  const messages: string[] = [];
  const waiters: Array<{ pattern: RegExp; resolve: () => void }> = [];
  const record = (_obj: object, msg?: string) => {
    messages.push(msg ?? '');
    for (const waiter of waiters.filter((w) => w.pattern.test(msg ?? ''))) waiter.resolve();
  };
  // `child` too, so it can stand in for pino where the link asks for one.
  const logger: Logger & { child(): Logger } = {
    info: record,
    warn: record,
    error: record,
    child: () => logger,
  };
  return {
    logger,
    messages,
    waitFor: (pattern: RegExp) =>
      messages.some((m) => pattern.test(m))
        ? Promise.resolve()
        : new Promise<void>((resolve) => waiters.push({ pattern, resolve })),
  };
}
