import type { CommandContext } from '../../shared/domain/domain-event';
import type { FailureRate, RolloutPhaseRequest } from '../domain/rollout-phases';
import type { RolloutRetries } from '../domain/rollout-retries';
import type { RolloutConfig } from '../domain/rollout.events';
import type { MaintenanceWindow } from '../domain/maintenance-window';

export class StartRollout {
  readonly context: CommandContext;
  /** The targets: listed, or every client with these labels when the rollout starts. */
  readonly targets: { clientIds: string[] } | { labels: Record<string, string> };
  /** What each target gets: an update (explicit, or a release of the catalogue), or a configuration. */
  readonly what:
    | { update: { targetVersion: string; image: string; imageDigest?: string } }
    | { release: { releaseId: string; allowDowngrade?: boolean } }
    | { config: RolloutConfig };
  readonly batchSize: number;
  readonly maxFailures: number;
  readonly maxFailureRate?: FailureRate;
  /** Absent: one phase of every target. */
  readonly phases?: RolloutPhaseRequest[];
  readonly retries?: RolloutRetries;
  readonly window?: MaintenanceWindow;
  /** With labels: clients registered with them join until then. */
  readonly followUntil?: string;

  constructor(props: StartRollout) {
    Object.assign(this, props);
  }
}

export interface StartRolloutResult {
  rolloutId: string;
}
