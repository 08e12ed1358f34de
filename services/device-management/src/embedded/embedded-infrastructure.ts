import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { startEmbeddedPostgres } from '@opcfleet/event-store';
import type { Logger } from 'pino';
import {
  anyOf,
  DEFAULT_SERVICE_ACCOUNT,
  maxPacketBytesSchema,
  PasswordUsers,
  startBroker,
  type PasswordAuthenticator,
} from '../../../broker/src';

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
  /** The service's own username and password on the embedded broker. */
  mqttCredentials?: { username: string; password: string };
  /** Where the embedded parts keep their files (absolute). */
  dataDir: string;
  embedded: { database: boolean; broker: boolean; jwtSecret: boolean };
  /** The embedded broker, when there is one: the service lets devices in through it. */
  embeddedBroker?: EmbeddedBroker;
  stop(): Promise<void>;
}

/**
 * The embedded broker authenticates everyone: the service with its own password (kept in the
 * data directory), devices with the credentials the service issues. It starts before the
 * service, so devices are refused until `acceptDevices` hands it the service's credential store.
 */
export interface EmbeddedBroker {
  acceptDevices(credentials: PasswordAuthenticator): void;
  /** Closes the connections of `username` (a device topic root) at once; how many it closed. */
  disconnect(username: string, reason: string): number;
}

export interface EmbeddedSettings {
  dataDir: string;
  databasePort: number;
  brokerPort: number;
  brokerHost: string;
  brokerMaxPacketBytes: number;
}

export function embeddedSettings(env: NodeJS.ProcessEnv): EmbeddedSettings {
  const port = (name: string, fallback: number) => {
    const value = Number(env[name] ?? fallback);
    if (!Number.isInteger(value) || value < 0 || value > 65535) {
      throw new Error(`${name}: must be a port number (0 picks a free one), got ${env[name]}`);
    }
    return value;
  };
  const maxPacketBytes = maxPacketBytesSchema.safeParse(env.BROKER_MAX_PACKET_BYTES);
  if (!maxPacketBytes.success) {
    throw new Error(`BROKER_MAX_PACKET_BYTES: ${maxPacketBytes.error.issues[0].message}`);
  }
  return {
    dataDir: resolve(env.DATA_DIR ?? './data'),
    databasePort: port('EMBEDDED_DB_PORT', 0),
    brokerPort: port('EMBEDDED_MQTT_PORT', 1883),
    brokerHost: env.EMBEDDED_MQTT_HOST ?? '127.0.0.1',
    brokerMaxPacketBytes: maxPacketBytes.data,
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
    let mqttCredentials: Infrastructure['mqttCredentials'];
    let embeddedBroker: EmbeddedBroker | undefined;
    if (!mqttUrl) {
      mqttCredentials = {
        username: DEFAULT_SERVICE_ACCOUNT,
        password: await keptSecret(resolve(settings.dataDir, 'mqtt-service-password')),
      };
      const service = await new PasswordUsers(new Map()).withPlainPassword(
        mqttCredentials.username,
        mqttCredentials.password,
      );
      let devices: PasswordAuthenticator | undefined;
      const startOn = (port: number) =>
        startBroker({
          host: settings.brokerHost,
          port,
          // Nobody anonymous, not even on loopback: the service and the devices it issued
          // credentials to (see EmbeddedBroker).
          users: anyOf(service, {
            check: (username, password) =>
              devices ? devices.check(username, password) : Promise.resolve(false),
          }),
          serviceAccounts: [DEFAULT_SERVICE_ACCOUNT],
          maxPacketBytes: settings.brokerMaxPacketBytes,
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
      embeddedBroker = {
        acceptDevices: (credentials) => (devices = credentials),
        disconnect: (username, reason) => broker.disconnect(username, reason),
      };
      logger.info({ url: mqttUrl }, 'embedded aedes broker started (no MQTT_URL)');
    }
    let jwtSecret = env.JWT_SECRET;
    const embeddedSecret = !jwtSecret && !env.JWT_JWKS_URL;
    if (embeddedSecret) jwtSecret = await keptSecret(resolve(settings.dataDir, 'dev-jwt-secret'));
    return {
      databaseUrl,
      mqttUrl,
      jwtSecret,
      mqttCredentials,
      dataDir: settings.dataDir,
      embedded: { database: !env.DATABASE_URL, broker: !env.MQTT_URL, jwtSecret: embeddedSecret },
      embeddedBroker,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * A random secret kept in a file of the data folder (mode 600), so that it survives a restart:
 * the HS256 key of development tokens, the service's password on the embedded broker.
 */
async function keptSecret(file: string): Promise<string> {
  try {
    const existing = (await readFile(file, 'utf8')).trim();
    if (existing.length >= 32) {
      await chmod(file, 0o600);
      return existing;
    }
  } catch {
    // not created yet
  }
  const secret = randomBytes(36).toString('base64url');
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${secret}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return secret;
}
