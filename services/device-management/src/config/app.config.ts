import { z } from 'zod';

/**
 * Settings of the HTTP/command side, read from the environment once at start-up and passed
 * in: nothing else reads process.env. A wrong value stops the start naming the variable.
 */
const seconds = (fallback: number) => z.coerce.number().positive().default(fallback);
/** An http(s) URL; an empty value is the same as none (a manifest may leave it blank). */
const optionalUrl = z.preprocess(
  (value) => (value === '' ? undefined : value),
  z.url({ protocol: /^https?$/ }).optional(),
);

const appEnvSchema = z
  .object({
    /** Absent: main.ts starts the embedded PGlite and fills it in. */
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\/.+/, 'must be a postgres:// URL')
      .optional(),
    DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
    /** `false` behind a pooler in transaction mode, which cannot keep prepared statements. */
    DATABASE_PREPARED_STATEMENTS: z.enum(['true', 'false']).default('true'),
    EVENT_STORE_SCHEMA: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier')
      .default('event_store'),
    HTTP_HOST: z.string().min(1).default('0.0.0.0'),
    HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    /** PEM files: the API serves HTTPS (TLS 1.3 only) instead of HTTP; both or neither. */
    HTTPS_CERT_FILE: z.string().min(1).optional(),
    HTTPS_KEY_FILE: z.string().min(1).optional(),
    /** HS256 key for development; at least 32 characters. */
    JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    /** JWKS of the identity provider (RS256/ES256) for production. */
    JWT_JWKS_URL: z.url().optional(),
    JWT_ISSUER: z.string().min(1).optional(),
    JWT_AUDIENCE: z.string().min(1).optional(),
    /**
     * OpenID Connect sign-in for the console (Authorization Code with PKCE, a public client):
     * the identity provider whose tokens JWT_JWKS_URL verifies, and the console's client id.
     */
    OIDC_ISSUER: z.url().optional(),
    OIDC_CLIENT_ID: z.string().min(1).optional(),
    OIDC_SCOPES: z
      .string()
      .regex(/(^|\s)openid(\s|$)/, 'must include openid')
      .default('openid profile offline_access'),
    /** RFC 8707 resource indicator sent with the requests: this service, at the provider. */
    OIDC_RESOURCE: z.string().min(1).optional(),
    /** Longest token lifetime taken (exp - iat); tokens without exp are refused. */
    JWT_MAX_LIFETIME_SECONDS: z.coerce.number().int().min(60).max(31_536_000).default(86_400),
    /** A job with no report for this long is timed out (with or without a broker). */
    JOB_REPORT_TIMEOUT_SECONDS: seconds(15 * 60),
    JOB_TIMEOUT_SWEEP_SECONDS: seconds(5),
    /** A job sent to an online device and quiet for this long gets its command again. */
    JOB_NUDGE_AFTER_SECONDS: seconds(20),
    /** Nudges of a job that stays quiet back off (doubling) up to this interval. */
    JOB_NUDGE_MAX_INTERVAL_SECONDS: seconds(300),
    /** Webhooks may be http:// to the loopback (tests, development); otherwise https only. */
    ALERT_WEBHOOK_ALLOW_INSECURE: z.enum(['true', 'false']).default('false'),
    /** One attempt of a delivery, from connecting to the end of the answer. */
    ALERT_WEBHOOK_TIMEOUT_SECONDS: z.coerce.number().positive().max(60).default(5),
    /** Attempts of a delivery in all; then it is logged `failed`. */
    ALERT_DELIVERY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
    /** Wait after the first failed attempt; it doubles after each, up to the maximum. */
    ALERT_RETRY_INITIAL_SECONDS: seconds(30),
    ALERT_RETRY_MAX_SECONDS: seconds(30 * 60),
    /** `device.clock_skew` alerts a device whose clock is off by this much, either way. */
    ALERT_CLOCK_SKEW_SECONDS: z.coerce.number().int().min(1).default(120),
    ALERT_DISK_LOW_BYTES: z.coerce
      .number()
      .int()
      .min(0)
      .default(2 * 1024 ** 3),
    /** How often the sender looks for deliveries that are due. */
    ALERT_SENDER_POLL_SECONDS: seconds(1),
    ALERT_DELIVERY_RETENTION_DAYS: z.coerce.number().positive().max(3650).default(30),
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info'),
    /**
     * OpenTelemetry's standard variables: traces go over OTLP/HTTP (JSON) to
     * `{OTEL_EXPORTER_OTLP_ENDPOINT}/v1/traces`, or to OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as
     * it is. Neither (or empty): no tracing, and the SDK is not loaded.
     */
    OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrl,
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optionalUrl,
    OTEL_SERVICE_NAME: z.string().min(1).max(256).default('opcfleet-device-management'),
    /** Milliseconds between two exports of the spans ended meanwhile. */
    OTEL_BSP_SCHEDULE_DELAY: z.coerce.number().int().min(1).max(600_000).default(5000),
  })
  .refine((env) => env.JWT_SECRET || env.JWT_JWKS_URL, {
    message: 'set JWT_SECRET (development, HS256) or JWT_JWKS_URL (production, RS256/ES256)',
    path: ['JWT_SECRET'],
  })
  .refine((env) => !env.OIDC_ISSUER === !env.OIDC_CLIENT_ID, {
    message: 'set OIDC_ISSUER and OIDC_CLIENT_ID together',
    path: ['OIDC_CLIENT_ID'],
  })
  // The console would sign in at a provider whose tokens the service cannot verify.
  .refine((env) => !env.OIDC_ISSUER || env.JWT_JWKS_URL, {
    message: "OIDC_ISSUER needs JWT_JWKS_URL (the provider's keys)",
    path: ['JWT_JWKS_URL'],
  })
  .refine((env) => !env.OIDC_ISSUER || !env.JWT_ISSUER || env.JWT_ISSUER === env.OIDC_ISSUER, {
    message: 'must equal OIDC_ISSUER (the tokens the console gets come from there)',
    path: ['JWT_ISSUER'],
  })
  .refine((env) => env.ALERT_RETRY_INITIAL_SECONDS <= env.ALERT_RETRY_MAX_SECONDS, {
    message: 'must not be above ALERT_RETRY_MAX_SECONDS',
    path: ['ALERT_RETRY_INITIAL_SECONDS'],
  })
  .refine((env) => !env.HTTPS_CERT_FILE === !env.HTTPS_KEY_FILE, {
    message: 'set both HTTPS_CERT_FILE and HTTPS_KEY_FILE, or neither',
    path: ['HTTPS_CERT_FILE'],
  });

export interface AuthConfig {
  hs256Secret?: string;
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
  maxLifetimeSeconds: number;
}

/** The console's OpenID Connect sign-in: served to it by GET /api/v1/console/settings. */
export interface OidcConfig {
  issuer: string;
  clientId: string;
  scopes: string;
  resource?: string;
}

/** When jobs time out and when quiet ones are nudged (jobs/timeouts). */
export interface JobTimeoutConfig {
  timeoutMs: number;
  sweepIntervalMs: number;
  nudgeAfterMs: number;
  maxNudgeIntervalMs: number;
}

/** Webhook alerts (alerts/): which URLs, and how deliveries are tried. */
export interface AlertsConfig {
  allowInsecureWebhooks: boolean;
  timeoutMs: number;
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
  pollIntervalMs: number;
  clockSkewSeconds: number;
  diskLowBytes: number;
  /** Ended deliveries older than this are deleted (hourly). */
  retentionMs: number;
}

export interface HttpConfig {
  host: string;
  port: number;
  /** Serve HTTPS with this certificate chain and key (PEM file paths). */
  tls?: { certFile: string; keyFile: string };
}

/** Where and as what the service exports its traces (observability/tracing.ts). */
export interface TracingConfig {
  /** The OTLP/HTTP traces URL, `.../v1/traces`. */
  tracesUrl: string;
  serviceName: string;
  exportDelayMs: number;
}

export interface AppConfig {
  databaseUrl: string;
  databasePoolMax: number;
  databasePreparedStatements: boolean;
  eventStoreSchema: string;
  http: HttpConfig;
  auth: AuthConfig;
  /** Absent: the console offers no OpenID Connect sign-in. */
  oidc?: OidcConfig;
  jobTimeouts: JobTimeoutConfig;
  alerts: AlertsConfig;
  logLevel: string;
  /** Absent: no OTLP endpoint, no tracing. */
  tracing?: TracingConfig;
  /**
   * Development sign-in (tokens for any role from POST /api/v1/dev/sign-in): only when the
   * caller says the JWT key is the embedded development one; no variable turns it on.
   */
  devSignIn?: boolean;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses the environment; `databaseUrl` may come from the caller (the embedded database), and
 * so may `devSignIn` (start-service.ts, when it made the development JWT key itself).
 */
export function loadAppConfig(
  env: NodeJS.ProcessEnv = process.env,
  defaults: { databaseUrl?: string; devSignIn?: boolean } = {},
): AppConfig {
  const parsed = appEnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map(
        (issue) => `${issue.path.join('.') || 'environment'}: ${issue.message}`,
      ),
    );
  }
  const e = parsed.data;
  const databaseUrl = e.DATABASE_URL ?? defaults.databaseUrl;
  if (!databaseUrl)
    throw new ConfigError(['DATABASE_URL: required (or start the embedded database)']);
  const tracesUrl = otlpTracesUrl(
    e.OTEL_EXPORTER_OTLP_ENDPOINT,
    e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
  );
  return {
    databaseUrl,
    databasePoolMax: e.DATABASE_POOL_MAX,
    databasePreparedStatements: e.DATABASE_PREPARED_STATEMENTS === 'true',
    eventStoreSchema: e.EVENT_STORE_SCHEMA,
    http: {
      host: e.HTTP_HOST,
      port: e.HTTP_PORT,
      ...(e.HTTPS_CERT_FILE &&
        e.HTTPS_KEY_FILE && { tls: { certFile: e.HTTPS_CERT_FILE, keyFile: e.HTTPS_KEY_FILE } }),
    },
    auth: {
      hs256Secret: e.JWT_SECRET,
      jwksUrl: e.JWT_JWKS_URL,
      // Tokens from the console's provider carry its issuer: checked even when unsaid.
      issuer: e.JWT_ISSUER ?? e.OIDC_ISSUER,
      audience: e.JWT_AUDIENCE,
      maxLifetimeSeconds: e.JWT_MAX_LIFETIME_SECONDS,
    },
    ...(e.OIDC_ISSUER &&
      e.OIDC_CLIENT_ID && {
        oidc: {
          issuer: e.OIDC_ISSUER,
          clientId: e.OIDC_CLIENT_ID,
          scopes: e.OIDC_SCOPES,
          ...(e.OIDC_RESOURCE && { resource: e.OIDC_RESOURCE }),
        },
      }),
    jobTimeouts: {
      timeoutMs: e.JOB_REPORT_TIMEOUT_SECONDS * 1000,
      sweepIntervalMs: e.JOB_TIMEOUT_SWEEP_SECONDS * 1000,
      nudgeAfterMs: e.JOB_NUDGE_AFTER_SECONDS * 1000,
      maxNudgeIntervalMs: e.JOB_NUDGE_MAX_INTERVAL_SECONDS * 1000,
    },
    alerts: {
      allowInsecureWebhooks: e.ALERT_WEBHOOK_ALLOW_INSECURE === 'true',
      timeoutMs: e.ALERT_WEBHOOK_TIMEOUT_SECONDS * 1000,
      maxAttempts: e.ALERT_DELIVERY_MAX_ATTEMPTS,
      initialDelayMs: e.ALERT_RETRY_INITIAL_SECONDS * 1000,
      maxDelayMs: e.ALERT_RETRY_MAX_SECONDS * 1000,
      pollIntervalMs: e.ALERT_SENDER_POLL_SECONDS * 1000,
      clockSkewSeconds: e.ALERT_CLOCK_SKEW_SECONDS,
      diskLowBytes: e.ALERT_DISK_LOW_BYTES,
      retentionMs: e.ALERT_DELIVERY_RETENTION_DAYS * 24 * 60 * 60 * 1000,
    },
    logLevel: e.LOG_LEVEL,
    ...(tracesUrl && {
      tracing: {
        tracesUrl,
        serviceName: e.OTEL_SERVICE_NAME,
        exportDelayMs: e.OTEL_BSP_SCHEDULE_DELAY,
      },
    }),
    devSignIn: defaults.devSignIn === true && e.JWT_SECRET !== undefined,
  };
}

/**
 * The OTLP/HTTP traces URL as OpenTelemetry's specification derives it: the per-signal variable
 * as it is, else the base endpoint with `v1/traces` appended; undefined without either.
 */
export function otlpTracesUrl(endpoint?: string, tracesEndpoint?: string): string | undefined {
  if (tracesEndpoint) return tracesEndpoint;
  if (!endpoint) return undefined;
  return `${endpoint.replace(/\/+$/, '')}/v1/traces`;
}

/** Nest injection token of the AppConfig. */
export const APP_CONFIG = Symbol('AppConfig');
