import { readFileSync } from 'node:fs';
import { idSchema } from '@opcfleet/contracts';
import { z } from 'zod';
import { compileRedactionPatterns } from '../update-machine/evidence/redaction';

/**
 * The agent's own settings, read once at start-up from `EDGE_AGENT_*` variables and/or a JSON
 * file (`EDGE_AGENT_SETTINGS_FILE`, camelCase keys); a variable wins over the file. Every key
 * maps to one variable: `mqttUrl` <-> `EDGE_AGENT_MQTT_URL`, so errors can name it.
 */
const port = z.coerce.number().int().min(0).max(65535);
const positiveMs = z.coerce.number().int().min(1);
const optionalText = z.string().min(1).optional();

/** A list as JSON in its variable (`["a","b"]`), or as a JSON array in the settings file. */
const jsonList = z.union([z.array(z.string().min(1)), z.string()]).transform((value, ctx) => {
  if (Array.isArray(value)) return value;
  try {
    const parsed: unknown = JSON.parse(value);
    if (Array.isArray(parsed) && parsed.every((p) => typeof p === 'string' && p.length > 0)) {
      return parsed as string[];
    }
  } catch {
    // Said below.
  }
  ctx.addIssue({ code: 'custom', message: 'must be a JSON array of non-empty strings' });
  return z.NEVER;
});

/** The redaction patterns of the failure evidence must compile. */
const redactionPatterns = jsonList.superRefine((patterns, ctx) => {
  try {
    compileRedactionPatterns(patterns);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
  }
});

export const agentSettingsSchema = z
  .object({
    tenantId: idSchema,
    clientId: idSchema,
    mqttUrl: z
      .string()
      .regex(/^(mqtts?|wss?|tcp|ssl):\/\/\S+$/, 'must be an mqtt:// or mqtts:// URL'),
    /** `auto`: MQTT 5, falling back to 3.1.1 when the broker refuses it (aedes). */
    mqttVersion: z
      .union([z.literal('auto'), z.coerce.number().pipe(z.union([z.literal(4), z.literal(5)]))])
      .default('auto'),
    mqttUsername: optionalText,
    mqttPassword: optionalText,
    mqttCaFile: optionalText,
    mqttCertFile: optionalText,
    mqttKeyFile: optionalText,
    /** MQTT 5 only: how long the broker keeps the session (and queued commands) while offline. */
    mqttSessionExpirySeconds: z.coerce
      .number()
      .int()
      .min(0)
      .default(7 * 24 * 3600),
    mqttKeepaliveSeconds: z.coerce.number().int().min(5).max(3600).default(30),
    /**
     * How long a status report waits for the service's ack (when the job's command asks for
     * acks) before it is sent again; doubled after each miss, up to 60 s.
     */
    reportAckTimeoutSeconds: z.coerce.number().int().min(1).max(600).default(10),
    dataDir: z.string().min(1).default('/var/lib/opcfleet-agent'),
    dockerHost: z.string().min(1).default('unix:///run/podman/podman.sock'),
    workloadContainer: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'must be a container name'),
    /** The host directory bind-mounted into the workload as its config directory. */
    configDir: z.string().min(1),
    configFileName: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'must be a plain file name')
      .default('opc-client.json'),
    reloadMethod: z.enum(['signal', 'http']).default('signal'),
    reloadSignal: z
      .string()
      .regex(/^SIG[A-Z0-9]+$/, 'must be a signal name such as SIGHUP')
      .default('SIGHUP'),
    /** `http`: the agent POSTs here to reload; 2xx means the workload took the config. */
    reloadUrl: z.url().optional(),
    /** After a signal reload, where the workload says `applied` or `rejected` about its config. */
    configVerdictUrl: z.url().optional(),
    reloadTimeoutMs: positiveMs.default(5000),
    /** Health of a new workload: stays up `settleMs`, then an HTTP probe (if a port is set) passes. */
    healthSettleMs: z.coerce.number().int().min(0).default(3000),
    healthProbePort: port.optional(),
    healthProbePath: z.string().startsWith('/').default('/health'),
    /** Where the probe connects; by default the container's own address. */
    healthProbeHost: optionalText,
    healthProbeTimeoutMs: positiveMs.default(30_000),
    /**
     * After its health check, the new version must keep running this long before the update
     * commits; the old container is kept until then and started again if the new one fails.
     * The service is told `verifying` meanwhile, so it stays under the service's report timeout
     * (JOB_REPORT_TIMEOUT_SECONDS, 900 by default) with the settle period and the probe.
     */
    probationSeconds: z.coerce.number().int().min(0).max(600).default(300),
    /** How often the workload container is looked at between updates (a dead one is reported). */
    workloadWatchSeconds: z.coerce.number().int().min(1).max(3600).default(10),
    stopTimeoutSeconds: z.coerce.number().int().min(0).max(600).default(10),
    /** Free bytes that must remain after a pull. */
    diskFloorBytes: z.coerce
      .number()
      .int()
      .min(0)
      .default(256 * 1024 * 1024),
    /** Registries spoken to over plain HTTP (host:port, comma-separated in the variable). */
    insecureRegistries: z
      .union([z.array(z.string().min(1)), z.string()])
      .default([])
      .transform((value) =>
        (Array.isArray(value) ? value : value.split(',')).map((r) => r.trim()).filter(Boolean),
      ),
    registryUsername: optionalText,
    registryPassword: optionalText,
    registryServer: optionalText,
    /**
     * Failure evidence (sent with a rolled-back or failed update): regular expressions whose
     * matches are replaced by [REDACTED] in the failed container's log and the agent's lines;
     * a group named `keep` stays. Added to the built-in ones (password=, token=, Bearer, PEM
     * private keys, URL credentials) unless evidenceRedactDefaults is false.
     */
    evidenceRedactPatterns: redactionPatterns.default([]),
    evidenceRedactDefaults: z
      .union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')])
      .default(true),
    /** Lines of the failed container's log sent with the report; 0 sends none. */
    evidenceLogLines: z.coerce.number().int().min(0).max(50).default(50),
    httpHost: z.string().min(1).default('127.0.0.1'),
    httpPort: port.default(9810),
    logLevel: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info'),
  })
  .superRefine((settings, ctx) => {
    if (settings.reloadMethod === 'http' && !settings.reloadUrl) {
      ctx.addIssue({
        code: 'custom',
        path: ['reloadUrl'],
        message: 'is required when reloadMethod is http',
      });
    }
    const registry = [
      settings.registryUsername,
      settings.registryPassword,
      settings.registryServer,
    ];
    if (registry.some(Boolean) && !registry.every(Boolean)) {
      ctx.addIssue({
        code: 'custom',
        path: ['registryServer'],
        message: 'registry username, password and server go together',
      });
    }
    if (Boolean(settings.mqttCertFile) !== Boolean(settings.mqttKeyFile)) {
      ctx.addIssue({
        code: 'custom',
        path: ['mqttKeyFile'],
        message: 'a client certificate and its key go together',
      });
    }
  });

export type AgentSettings = z.infer<typeof agentSettingsSchema>;

export const ENV_PREFIX = 'EDGE_AGENT_';
export const SETTINGS_FILE_VARIABLE = `${ENV_PREFIX}SETTINGS_FILE`;

/** `mqttCaFile` -> `EDGE_AGENT_MQTT_CA_FILE` */
export function variableFor(key: string): string {
  return ENV_PREFIX + key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

export class InvalidSettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid edge agent settings:\n  ${problems.join('\n  ')}`);
    this.name = 'InvalidSettingsError';
  }
}

/** Reads and validates the settings once; throws InvalidSettingsError naming each bad variable. */
export function loadAgentSettings(env: NodeJS.ProcessEnv = process.env): AgentSettings {
  const fromFile = readSettingsFile(env[SETTINGS_FILE_VARIABLE]);
  const merged: Record<string, unknown> = { ...fromFile };
  for (const key of Object.keys(agentSettingsSchema.shape)) {
    const value = env[variableFor(key)];
    if (value !== undefined && value !== '') merged[key] = value;
  }
  const result = agentSettingsSchema.safeParse(merged);
  if (result.success) return result.data;
  throw new InvalidSettingsError(
    result.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? '');
      const source =
        key in fromFile && !env[variableFor(key)]
          ? `${key} in the settings file`
          : variableFor(key);
      const message = merged[key] === undefined ? 'is required' : issue.message;
      return `${source}: ${message}`;
    }),
  );
}

/** Where and as what the agent exports the spans of its jobs (observability/). */
export interface TracingSettings {
  /** The OTLP/HTTP traces URL, `.../v1/traces`. */
  tracesUrl: string;
  serviceName: string;
  exportDelayMs: number;
}

const optionalHttpUrl = z.preprocess(
  (value) => (value === '' ? undefined : value),
  z.url({ protocol: /^https?$/ }).optional(),
);
const tracingEnvSchema = z.object({
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalHttpUrl,
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optionalHttpUrl,
  OTEL_SERVICE_NAME: z.string().min(1).max(256).default('opcfleet-edge-agent'),
  OTEL_BSP_SCHEDULE_DELAY: z.coerce.number().int().min(1).max(600_000).default(5000),
});

/**
 * OpenTelemetry's standard variables (not EDGE_AGENT_*: the same names as every other
 * exporter): traces go to `{OTEL_EXPORTER_OTLP_ENDPOINT}/v1/traces`, or to
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as it is. Undefined without either: no tracing.
 */
export function loadTracingSettings(
  env: NodeJS.ProcessEnv = process.env,
): TracingSettings | undefined {
  const result = tracingEnvSchema.safeParse(env);
  if (!result.success) {
    throw new InvalidSettingsError(
      result.error.issues.map((issue) => `${String(issue.path[0])}: ${issue.message}`),
    );
  }
  const e = result.data;
  const tracesUrl =
    e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
    (e.OTEL_EXPORTER_OTLP_ENDPOINT &&
      `${e.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`);
  if (!tracesUrl) return undefined;
  return { tracesUrl, serviceName: e.OTEL_SERVICE_NAME, exportDelayMs: e.OTEL_BSP_SCHEDULE_DELAY };
}

function readSettingsFile(file: string | undefined): Record<string, unknown> {
  if (!file) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new InvalidSettingsError([
      `${SETTINGS_FILE_VARIABLE}: cannot read ${file}: ${(err as Error).message}`,
    ]);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidSettingsError([`${SETTINGS_FILE_VARIABLE}: ${file} must hold a JSON object`]);
  }
  return parsed as Record<string, unknown>;
}
