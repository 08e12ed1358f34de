import {
  validateOpcClientConfig,
  type ConfigCommand,
  type OpcClientConfig,
  type StatusError,
} from '@opcfleet/contracts';

/** What the device has applied last; null before the first config. */
export interface AppliedConfig {
  version: number;
  jobId: string;
  appliedAt: string;
}

export type ConfigDecision =
  | { action: 'apply'; version: number; config: OpcClientConfig }
  /** The same job again (a crash after applying, before reporting): nothing to do. */
  | { action: 'already-applied'; version: number }
  | { action: 'reject'; version: number; error: StatusError };

/** Pure: whether a config command may replace what is applied now, and with what content. */
export function decideConfig(
  command: ConfigCommand,
  applied: AppliedConfig | null,
): ConfigDecision {
  const { version, settings } = command.payload;
  if (applied?.jobId === command.jobId) return { action: 'already-applied', version };
  if (applied && version <= applied.version) {
    return {
      action: 'reject',
      version,
      error: {
        code: 'stale_version',
        message: `config version ${version} is not newer than the applied version ${applied.version}`,
      },
    };
  }
  const validated = validateOpcClientConfig(settings);
  if (!validated.ok) {
    return {
      action: 'reject',
      version,
      error: {
        code: 'invalid_config',
        message: `the config has ${validated.errors.length} invalid field(s); the last good config stays`,
        fieldErrors: validated.errors.map((e) => ({
          path: `settings.${e.path}`,
          message: e.message,
        })),
      },
    };
  }
  return { action: 'apply', version, config: validated.value };
}

/** The workload's answer to a reload. */
export type ReloadVerdict = { accepted: true } | { accepted: false; reason: string };

/** Tells the running workload to load its config file again, and says whether it took it. */
export interface WorkloadReloader {
  reload(): Promise<ReloadVerdict>;
}

export type ConfigOutcome =
  | { phase: 'applied'; configVersion: number }
  | { phase: 'rejected'; configVersion: number; error: StatusError };

export interface ConfigJobHandler {
  /** Idempotent for a jobId: a repeated call after a crash gives the same outcome. */
  apply(command: ConfigCommand): Promise<ConfigOutcome>;
}
