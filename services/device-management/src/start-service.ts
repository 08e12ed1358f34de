import type { INestApplication } from '@nestjs/common';
import type { Logger } from 'pino';
import { createApp } from './app';
import { DEV_TENANT } from './dev-sign-in/dev-sign-in.http.controller';
import { mintDevToken } from './auth/mint-dev-token';
import { DeviceCredentialStore } from './clients/device-credentials/device-credential-store';
import { onCredentialWithdrawn } from './clients/device-credentials/credential-withdrawals';
import { loadAppConfig } from './config/app.config';
import { provideInfrastructure, type Infrastructure } from './embedded/embedded-infrastructure';
import { LocalCommits } from './event-sourcing/local-commits';
import { loadMessagingConfig } from './messaging/messaging.config';
import { createAppLogger } from './observability/app-logger';

/** Tenant of the development token printed at start-up. */
export { DEV_TENANT };

export interface RunningService {
  app: INestApplication;
  infrastructure: Infrastructure;
  httpUrl: string;
  /** An admin token of DEV_TENANT, when tokens are HS256 with a key the service holds. */
  token?: string;
  /** Stops the app, then the embedded database and broker. */
  stop(): Promise<void>;
}

/**
 * The service as `npm start` runs it: against DATABASE_URL and MQTT_URL when set, else against
 * an embedded PGlite (data under DATA_DIR) and the embedded aedes broker, so nothing but Node
 * is needed. Every setting is validated before anything starts listening. With the embedded
 * broker the service connects with its own password, and devices with the credentials it
 * issues (clients/device-credentials); a withdrawn credential's connections close at once.
 */
export async function startService(
  environment: NodeJS.ProcessEnv,
  bootLogger: Logger,
): Promise<RunningService> {
  const infrastructure = await provideInfrastructure(environment, bootLogger);
  let app: INestApplication | undefined;
  try {
    const env: NodeJS.ProcessEnv = {
      ...environment,
      MQTT_URL: infrastructure.mqttUrl,
      ...(infrastructure.mqttCredentials && {
        MQTT_USERNAME: infrastructure.mqttCredentials.username,
        MQTT_PASSWORD: infrastructure.mqttCredentials.password,
      }),
      // The embedded aedes speaks MQTT 3.1.1 only: no MQTT 5 attempt first.
      ...(infrastructure.embedded.broker && {
        MQTT_PROTOCOL: environment.MQTT_PROTOCOL ?? '3.1.1',
      }),
      ...(infrastructure.jwtSecret && { JWT_SECRET: infrastructure.jwtSecret }),
      // PGlite runs one statement at a time: a bigger pool only queues in the socket.
      ...(infrastructure.embedded.database && {
        DATABASE_POOL_MAX: environment.DATABASE_POOL_MAX ?? '1',
      }),
    };
    const config = loadAppConfig(env, {
      databaseUrl: infrastructure.databaseUrl,
      devSignIn: infrastructure.embedded.jwtSecret,
    });
    const messaging = loadMessagingConfig(env);
    const logger = createAppLogger(config.logLevel);
    app = await createApp(config, logger, messaging);
    const broker = infrastructure.embeddedBroker;
    if (broker) {
      broker.acceptDevices(app.get(DeviceCredentialStore));
      onCredentialWithdrawn(app.get(LocalCommits), (username, reason) =>
        broker.disconnect(username, reason),
      );
    }
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
    const running = app;
    return {
      app: running,
      infrastructure,
      httpUrl: `${config.http.tls ? 'https' : 'http'}://${host}:${address.port}`,
      token,
      async stop() {
        await running.close();
        await infrastructure.stop();
      },
    };
  } catch (error) {
    await app?.close().catch(() => undefined);
    await infrastructure.stop();
    throw error;
  }
}
