import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { startEmbeddedPostgres } from '@opcfleet/event-store/pglite';
import type { Logger } from 'pino';
import { startBroker } from '../../../broker/src';

/**
 * What the service runs against. Without DATABASE_URL it starts PGlite (served over the
 * Postgres wire protocol, so pg and TypeORM run unchanged) with its data under ./data; without
 * MQTT_URL the embedded aedes broker; without any JWT setting a development secret kept in
 * ./data. Whatever it starts is reported, so `npm start` can print it, and stopped on exit.
 */
export interface Infrastructure {
  databaseUrl: string;
  mqttUrl: string;
  jwtSecret?: string;
  embedded: { database: boolean; broker: boolean; jwtSecret: boolean };
  stop(): Promise<void>;
}

export interface EmbeddedSettings {
  dataDir: string;
  databasePort: number;
  brokerPort: number;
  brokerHost: string;
}

export function embeddedSettings(env: NodeJS.ProcessEnv): EmbeddedSettings {
  const port = (name: string, fallback: number) => {
    const value = Number(env[name] ?? fallback);
    if (!Number.isInteger(value) || value < 0 || value > 65535) {
      throw new Error(`${name}: must be a port number (0 picks a free one), got ${env[name]}`);
    }
    return value;
  };
  return {
    dataDir: resolve(env.DATA_DIR ?? './data'),
    databasePort: port('EMBEDDED_DB_PORT', 0),
    brokerPort: port('EMBEDDED_MQTT_PORT', 1883),
    brokerHost: env.EMBEDDED_MQTT_HOST ?? '127.0.0.1',
  };
}

export async function provideInfrastructure(
  env: NodeJS.ProcessEnv,
  logger: Logger,
): Promise<Infrastructure> {
  const settings = embeddedSettings(env);
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const stopOne of stops.reverse()) await stopOne().catch(() => undefined);
  };
  try {
    let databaseUrl = env.DATABASE_URL;
    if (!databaseUrl) {
      const dataDir = resolve(settings.dataDir, 'pglite');
      await mkdir(dataDir, { recursive: true });
      const database = await startEmbeddedPostgres({ dataDir, port: settings.databasePort });
      stops.push(() => database.stop());
      databaseUrl = database.url;
      logger.info({ dataDir, url: databaseUrl }, 'embedded PGlite started (no DATABASE_URL)');
    }
    let mqttUrl = env.MQTT_URL;
    if (!mqttUrl) {
      const startOn = (port: number) =>
        startBroker({
          host: settings.brokerHost,
          port,
          // Development only: anyone on this machine may connect without credentials.
          allowAnonymous: true,
          logger,
        });
      const broker = await startOn(settings.brokerPort).catch((error: NodeJS.ErrnoException) => {
        // A machine that already runs a broker on 1883 (a system Mosquitto) must not stop
        // `npm start`: take a free port instead, unless the port was asked for explicitly.
        if (error.code !== 'EADDRINUSE' || env.EMBEDDED_MQTT_PORT !== undefined) throw error;
        logger.warn(
          { port: settings.brokerPort },
          'port taken by another broker: the embedded broker listens on a free port instead (set EMBEDDED_MQTT_PORT to choose)',
        );
        return startOn(0);
      });
      stops.push(() => broker.close());
      mqttUrl = broker.mqttUrl!;
      logger.info({ url: mqttUrl }, 'embedded aedes broker started (no MQTT_URL)');
    }
    let jwtSecret = env.JWT_SECRET;
    const embeddedSecret = !jwtSecret && !env.JWT_JWKS_URL;
    if (embeddedSecret) jwtSecret = await developmentSecret(settings.dataDir);
    return {
      databaseUrl,
      mqttUrl,
      jwtSecret,
      embedded: { database: !env.DATABASE_URL, broker: !env.MQTT_URL, jwtSecret: embeddedSecret },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A random HS256 key kept in the data folder, so development tokens survive a restart. */
async function developmentSecret(dataDir: string): Promise<string> {
  const file = resolve(dataDir, 'dev-jwt-secret');
  try {
    const existing = (await readFile(file, 'utf8')).trim();
    if (existing.length >= 32) return existing;
  } catch {
    // not created yet
  }
  const secret = randomBytes(36).toString('base64url');
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${secret}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return secret;
}
