import type { RegistryAuth } from '../container-runtime/container-runtime.port';

export type HealthProbe =
  { kind: 'http'; port: number; path: string; host?: string } | { kind: 'exec'; command: string[] };

export interface HealthSettings {
  /** How long the new container must stay up without restarting. */
  settleMs: number;
  probe?: HealthProbe;
  /** Budget for the probe to pass after the settle period. */
  probeTimeoutMs: number;
  probeIntervalMs?: number;
}

/** The device's settings for the workload container the agent manages. */
export interface WorkloadSettings {
  containerName: string;
  registryAuth?: RegistryAuth;
  health: HealthSettings;
  /** Free bytes that must remain on the engine's storage after the pull. */
  diskFloorBytes?: number;
  stopTimeoutSeconds?: number;
  /**
   * How long the old container must stay down (no restart by the engine) before a start of the
   * new one that failed is tried again; default 500 ms.
   */
  oldContainerQuietMs?: number;
  /**
   * How long the new version must keep running after its health check passed before the
   * update commits and the old container is removed; default 0 (commit at once).
   */
  probationMs?: number;
  /** How often the container is looked at (and probed) during the probation; default 1000 ms. */
  probationCheckIntervalMs?: number;
}
