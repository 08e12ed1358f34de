/**
 * What a webhook subscription may ask for, and the events that raise each kind. Kept as data
 * here (the event names only): alerts read the events of jobs and rollouts, they do not import
 * those features.
 */
export const ALERT_KINDS = [
  'job.failed',
  'job.rolled_back',
  'job.timed_out',
  'rollout.halted',
  'rollout.awaiting_approval',
  // Not an event: the worker's sweep finds clients offline longer than the subscription's
  // offlineMinutes (the clients read model: presence offline, not seen since).
  'client.offline',
  // Neither: the agents' state summaries (device_states) show the workload down, the
  // device's clock off by at least ALERT_CLOCK_SKEW_SECONDS, or less free disk for images
  // than ALERT_DISK_LOW_BYTES.
  'device.workload_down',
  'device.clock_skew',
  'device.disk_low',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/** The event types the alert worker subscribes to, and the kind each raises. */
export const ALERT_KIND_OF_EVENT: Readonly<Record<string, AlertKind>> = {
  UpdateFailed: 'job.failed',
  ConfigRejected: 'job.failed',
  UpdateRolledBack: 'job.rolled_back',
  UpdateTimedOut: 'job.timed_out',
  ConfigTimedOut: 'job.timed_out',
  RolloutHalted: 'rollout.halted',
  RolloutPhaseAwaitingApproval: 'rollout.awaiting_approval',
};

export const ALERT_EVENT_TYPES: readonly string[] = Object.keys(ALERT_KIND_OF_EVENT);
