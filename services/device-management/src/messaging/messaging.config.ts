import { hostname } from 'node:os';
import { z } from 'zod';

/**
 * Settings of the MQTT side of the service (the job time-outs are in config/app.config.ts: they
 * run without a broker too), read from the environment once at start-up.
 * A wrong value stops the start with a message naming the variable.
 */
const seconds = (fallback: number) => z.coerce.number().positive().default(fallback);
const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0'])
    .default(fallback ? 'true' : 'false')
    .transform((value) => value === 'true' || value === '1');

export const messagingEnvSchema = z.object({
  MQTT_URL: z
    .string()
    .regex(/^(mqtts?|wss?|tcp|ssl):\/\/.+/, 'must be an mqtt://, mqtts://, ws:// or wss:// URL'),
  /** `auto` tries MQTT 5 and falls back to 3.1.1 when the broker refuses it (aedes). */
  MQTT_PROTOCOL: z.enum(['auto', '5', '3.1.1']).default('auto'),
  MQTT_CLIENT_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/)
    .default(
      `device-management-${hostname()
        .replace(/[^A-Za-z0-9._-]/g, '-')
        .slice(0, 40)}`,
    ),
  MQTT_USERNAME: z.string().optional(),
  MQTT_PASSWORD: z.string().optional(),
  /** PEM files for TLS (mqtts://): a private CA, and a client certificate if the broker wants one. */
  MQTT_CA_FILE: z.string().optional(),
  MQTT_CERT_FILE: z.string().optional(),
  MQTT_KEY_FILE: z.string().optional(),
  MQTT_TLS_REJECT_UNAUTHORIZED: flag(true),
  /** Shared-subscription group for status ingestion (MQTT 5); empty: a plain subscription. */
  MQTT_SHARED_GROUP: z
    .string()
    .regex(/^[A-Za-z0-9._-]*$/)
    .default(''),
  MQTT_PUBACK_TIMEOUT_SECONDS: seconds(10),
  /** How long an MQTT 5 broker keeps the service's session (and queues reports) while it is away. */
  MQTT_SESSION_EXPIRY_SECONDS: seconds(3600),
  /** Commands expire this long after they are requested unless the job sets its own expiry. */
  COMMAND_EXPIRY_SECONDS: seconds(24 * 3600),
  /** Longest back-off between two dispatch attempts while the broker is down. */
  DISPATCH_MAX_BACKOFF_SECONDS: seconds(30),
  /** Status reports handled at once (different jobs; one job's reports stay in order). */
  INGEST_CONCURRENCY: z.coerce.number().int().min(1).max(10_000).default(1024),
  /** Messages held before the packet loop waits (each is acknowledged to the broker when held). */
  INGEST_BUFFER: z.coerce.number().int().min(1).max(1_000_000).default(20_000),
});

export type MessagingEnv = z.infer<typeof messagingEnvSchema>;

export interface MessagingConfig {
  mqtt: {
    url: string;
    protocol: 'auto' | '5' | '3.1.1';
    clientId: string;
    username?: string;
    password?: string;
    caFile?: string;
    certFile?: string;
    keyFile?: string;
    rejectUnauthorized: boolean;
    pubackTimeoutMs: number;
    sessionExpirySeconds: number;
  };
  sharedGroup?: string;
  commandExpiryMs: number;
  dispatchMaxBackoffMs: number;
  ingestConcurrency: number;
  ingestBuffer: number;
}

export function loadMessagingConfig(env: NodeJS.ProcessEnv = process.env): MessagingConfig {
  const parsed = messagingEnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((issue) => `${issue.path.join('.')}: ${issue.message}`)
      .join('; ');
    throw new Error(`invalid messaging configuration: ${problems}`);
  }
  const e = parsed.data;
  return {
    mqtt: {
      url: e.MQTT_URL,
      protocol: e.MQTT_PROTOCOL,
      clientId: e.MQTT_CLIENT_ID,
      username: e.MQTT_USERNAME,
      password: e.MQTT_PASSWORD,
      caFile: e.MQTT_CA_FILE,
      certFile: e.MQTT_CERT_FILE,
      keyFile: e.MQTT_KEY_FILE,
      rejectUnauthorized: e.MQTT_TLS_REJECT_UNAUTHORIZED,
      pubackTimeoutMs: e.MQTT_PUBACK_TIMEOUT_SECONDS * 1000,
      sessionExpirySeconds: e.MQTT_SESSION_EXPIRY_SECONDS,
    },
    sharedGroup: e.MQTT_SHARED_GROUP || undefined,
    commandExpiryMs: e.COMMAND_EXPIRY_SECONDS * 1000,
    dispatchMaxBackoffMs: e.DISPATCH_MAX_BACKOFF_SECONDS * 1000,
    ingestConcurrency: e.INGEST_CONCURRENCY,
    ingestBuffer: Math.max(e.INGEST_BUFFER, e.INGEST_CONCURRENCY),
  };
}

/** Nest injection token of the MessagingConfig. */
export const MESSAGING_CONFIG = Symbol('MessagingConfig');
