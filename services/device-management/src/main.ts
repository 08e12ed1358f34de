import 'reflect-metadata';
import pino from 'pino';
import { ConfigError } from './config/app.config';
import { startUpBanner } from './embedded/start-up-banner';
import { createAppLogger } from './observability/app-logger';
import { DEV_TENANT, startService } from './start-service';

/** `npm start`: the service (start-service.ts), its banner, and a clean stop on SIGINT/SIGTERM. */
async function main(): Promise<void> {
  const bootLogger = createAppLogger(process.env.LOG_LEVEL ?? 'info');
  const started = await withNewSignalListeners(() => startService(process.env, bootLogger));
  const service = started.value;
  // Signals are handled here rather than by Nest's shutdown hooks (which end the process
  // right after the app closes), so the embedded database and broker stop after the app.
  for (const [signal, listener] of started.listeners) process.off(signal, listener);
  const shutdown = once(async (signal: string) => {
    bootLogger.info({ signal }, 'shutting down');
    await service.stop();
    process.exit(0);
  });
  for (const signal of SIGNALS) process.on(signal, () => void shutdown(signal));
  process.stdout.write(
    startUpBanner({
      httpUrl: service.httpUrl,
      infrastructure: service.infrastructure,
      token: service.token,
      tenant: DEV_TENANT,
    }) + '\n',
  );
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

type SignalListener = [NodeJS.Signals, (...args: unknown[]) => void];

/** Runs `work` and returns its value and the SIGINT/SIGTERM listeners it added. */
async function withNewSignalListeners<T>(
  work: () => Promise<T>,
): Promise<{ value: T; listeners: SignalListener[] }> {
  const before = new Map(SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]));
  const value = await work();
  const listeners = SIGNALS.flatMap((signal) =>
    process
      .listeners(signal)
      .filter((listener) => !before.get(signal)!.has(listener))
      .map((listener): SignalListener => [signal, listener as SignalListener[1]]),
  );
  return { value, listeners };
}

function once<A extends unknown[]>(
  run: (...args: A) => Promise<void>,
): (...args: A) => Promise<void> {
  let running: Promise<void> | undefined;
  return (...args) => (running ??= run(...args));
}

main().catch((error: unknown) => {
  const logger = pino({ name: 'device-management' });
  if (error instanceof ConfigError) {
    logger.fatal({ problems: error.problems }, error.message);
  } else {
    logger.fatal({ err: error }, 'start-up failed');
  }
  process.exit(1);
});
