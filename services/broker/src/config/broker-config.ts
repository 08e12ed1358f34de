import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { PasswordUsers } from '../authentication/password-users';
import { DEFAULT_SERVICE_ACCOUNT, DEFAULT_SERVICE_ACCOUNTS } from '../domain/identity';
import { maxPacketBytesSchema } from '../mqtt-server/packet-size-limit';
import type { StartBrokerOptions } from '../mqtt-server/start-broker';

export class BrokerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BrokerConfigError';
  }
}

const port = z.coerce.number({ error: 'must be a port number' }).int().min(0).max(65535);
const flag = z
  .enum(['true', 'false', '1', '0'], { error: 'must be true, false, 1 or 0' })
  .transform((v) => v === 'true' || v === '1');

/** The standalone broker's environment, validated once at start-up. */
const envSchema = z.object({
  BROKER_HOST: z.string().min(1).default('127.0.0.1'),
  /** `off` disables the plain TCP listener. */
  BROKER_PORT: z
    .union([z.literal('off'), port], { error: 'must be a port number (0-65535) or "off"' })
    .default(1883),
  BROKER_TLS_PORT: port.default(8883),
  BROKER_TLS_CERT: z.string().min(1).optional(),
  BROKER_TLS_KEY: z.string().min(1).optional(),
  BROKER_TLS_CA: z.string().min(1).optional(),
  BROKER_TLS_REQUIRE_CLIENT_CERT: flag.default(true),
  BROKER_USERS_FILE: z.string().min(1).optional(),
  BROKER_SERVICE_ACCOUNTS: z
    .string()
    .default(DEFAULT_SERVICE_ACCOUNTS.join(','))
    .transform((list) =>
      list
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean),
    ),
  /** Plain-text password of the first service account (development); hashed at start-up. */
  BROKER_SERVICE_PASSWORD: z.string().min(1).optional(),
  BROKER_ALLOW_ANONYMOUS: flag.default(false),
  BROKER_MAX_PACKET_BYTES: maxPacketBytesSchema,
});

export type BrokerEnv = z.infer<typeof envSchema>;

export function parseBrokerEnv(env: NodeJS.ProcessEnv): BrokerEnv {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new BrokerConfigError(`${issue.path.join('.')}: ${issue.message}`);
  }
  const tls = [parsed.data.BROKER_TLS_CERT, parsed.data.BROKER_TLS_KEY, parsed.data.BROKER_TLS_CA];
  if (tls.some(Boolean) && !tls.every(Boolean)) {
    throw new BrokerConfigError(
      'BROKER_TLS_CERT, BROKER_TLS_KEY and BROKER_TLS_CA: set all three to enable TLS, or none',
    );
  }
  if (parsed.data.BROKER_PORT === 'off' && !parsed.data.BROKER_TLS_CERT) {
    throw new BrokerConfigError(
      'BROKER_PORT: "off" needs TLS (BROKER_TLS_CERT/KEY/CA), or no listener is left',
    );
  }
  return parsed.data;
}

function readNamed(variable: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new BrokerConfigError(`${variable}: cannot read ${path}: ${(error as Error).message}`);
  }
}

/** Turns the validated environment into startBroker options, reading the files it names. */
export async function brokerOptionsFromEnv(env: BrokerEnv): Promise<StartBrokerOptions> {
  let users = env.BROKER_USERS_FILE ? PasswordUsers.fromFile(env.BROKER_USERS_FILE) : undefined;
  if (env.BROKER_SERVICE_PASSWORD) {
    users = await (users ?? new PasswordUsers(new Map())).withPlainPassword(
      env.BROKER_SERVICE_ACCOUNTS[0] ?? DEFAULT_SERVICE_ACCOUNT,
      env.BROKER_SERVICE_PASSWORD,
    );
  }
  return {
    host: env.BROKER_HOST,
    port: env.BROKER_PORT === 'off' ? false : env.BROKER_PORT,
    tlsPort: env.BROKER_TLS_PORT,
    tls:
      env.BROKER_TLS_CERT && env.BROKER_TLS_KEY && env.BROKER_TLS_CA
        ? {
            cert: readNamed('BROKER_TLS_CERT', env.BROKER_TLS_CERT),
            key: readNamed('BROKER_TLS_KEY', env.BROKER_TLS_KEY),
            ca: readNamed('BROKER_TLS_CA', env.BROKER_TLS_CA),
            requestCert: env.BROKER_TLS_REQUIRE_CLIENT_CERT,
          }
        : undefined,
    users,
    serviceAccounts: env.BROKER_SERVICE_ACCOUNTS,
    allowAnonymous: env.BROKER_ALLOW_ANONYMOUS,
    maxPacketBytes: env.BROKER_MAX_PACKET_BYTES,
  };
}
