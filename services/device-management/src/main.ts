import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import pino from 'pino';
import { createApp } from './app';
import { mintDevToken } from './auth/mint-dev-token';
import { ConfigError, loadAppConfig } from './config/app.config';
import { provideInfrastructure } from './embedded/embedded-infrastructure';
import { startUpBanner } from './embedded/start-up-banner';
import { loadMessagingConfig } from './messaging/messaging.config';
import { MessagingModule } from './messaging/messaging.module';
import { createAppLogger } from './observability/app-logger';

/** Tenant of the development token printed at start-up. */
const DEV_TENANT = 'demo';

/**
 * `npm start`: runs against DATABASE_URL and MQTT_URL when set, else against an embedded
 * PGlite (data under ./data/pglite) and the embedded aedes broker, so nothing but Node is
 * needed. Every setting is validated before anything starts listening.
 */
async function main(): Promise<void> {
  const bootLogger = createAppLogger(process.env.LOG_LEVEL ?? 'info');
  const infrastructure = await provideInfrastructure(process.env, bootLogger);
  let app: INestApplication | undefined;
  const shutdown = once(async (signal: string) => {
    bootLogger.info({ signal }, 'shutting down');
    await app?.close();
    await infrastructure.stop();
    process.exit(0);
  });
  try {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      MQTT_URL: infrastructure.mqttUrl,
      // The embedded aedes speaks MQTT 3.1.1 only: no MQTT 5 attempt first.
      ...(infrastructure.embedded.broker && {
        MQTT_PROTOCOL: process.env.MQTT_PROTOCOL ?? '3.1.1',
      }),
      ...(infrastructure.jwtSecret && { JWT_SECRET: infrastructure.jwtSecret }),
      // PGlite runs one statement at a time: a bigger pool only queues in the socket.
      ...(infrastructure.embedded.database && {
        DATABASE_POOL_MAX: process.env.DATABASE_POOL_MAX ?? '1',
      }),
    };
    const config = loadAppConfig(env, { databaseUrl: infrastructure.databaseUrl });
    const messaging = loadMessagingConfig(env);
    const logger = createAppLogger(config.logLevel);
    const created = await withNewSignalListeners(() =>
      createApp(config, logger, [MessagingModule.forRoot({ logger, config: messaging })]),
    );
    app = created.value;
    // Signals are handled here rather than by Nest's shutdown hooks (which end the process
    // right after the app closes), so the embedded database and broker stop after the app.
    for (const [signal, listener] of created.listeners) process.off(signal, listener);
    for (const signal of SIGNALS) process.on(signal, () => void shutdown(signal));
    await app.listen(config.http.port, config.http.host);
    const address = app.getHttpServer().address() as { port: number };
    const host = config.http.host === '0.0.0.0' ? 'localhost' : config.http.host;
    const token = config.auth.hs256Secret
      ? await mintDevToken(config.auth.hs256Secret, {
          tenant: DEV_TENANT,
          roles: ['admin'],
          subject: 'dev-admin',
          issuer: config.auth.issuer,
          audience: config.auth.audience,
        })
      : undefined;
    process.stdout.write(
      startUpBanner({
        httpUrl: `http://${host}:${address.port}`,
        infrastructure,
        token,
        tenant: DEV_TENANT,
      }) + '\n',
    );
  } catch (error) {
    await app?.close().catch(() => undefined);
    await infrastructure.stop();
    throw error;
  }
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
