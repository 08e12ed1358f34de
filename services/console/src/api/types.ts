/** The shapes of the device-management REST API (/api/v1) the console reads. */

export type ClientStatus = 'Online' | 'Offline' | 'Updating' | 'UpdateFailed';
export const CLIENT_STATUSES: readonly ClientStatus[] = [
  'Online',
  'Offline',
  'Updating',
  'UpdateFailed',
];

export interface ClientView {
  clientId: string;
  labels: Record<string, string>;
  status: ClientStatus;
  presence?: 'online' | 'offline';
  version: { desired?: string; reported?: string };
  config: { desired: number; applied?: number };
  updateJobId?: string;
  lastUpdateOutcome?: string;
  lastSeenAt?: string;
  registeredAt: string;
}

export interface JobView {
  jobId: string;
  kind: 'update' | 'config';
  clientId: string;
  status: string;
  phase?: string;
  targetVersion?: string;
  image?: string;
  imageDigest?: string;
  /** The release this update installs, when it was requested by release. */
  releaseId?: string;
  fromVersion?: string;
  configVersion?: number;
  reportedVersion?: string;
  failure?: { reason: string; code?: string; fieldErrors?: { path: string; message: string }[] };
  rollback?: { reason: string };
  progress?: { bytes: number; totalBytes?: number; percent?: number };
  /** What the device sent with a failed or rolled-back update (redacted on the device). */
  evidence?: {
    workloadLog: string[];
    agentLog: string[];
    truncated: boolean;
    workloadLogError?: string;
  };
  requestedAt: string;
  dispatchedAt?: string;
  startedAt?: string;
  finishedAt?: string;
}

export interface JobEvent {
  revision: number;
  type: string;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  recordedAt: string;
}

export interface ClientHistory {
  events: JobEvent[];
  jobs: (JobView & { events: JobEvent[] })[];
}

export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

export interface RolloutCounts {
  total: number;
  pending: number;
  inFlight: number;
  /** Failed for a passing reason, waiting for a retry. */
  retrying: number;
  succeeded: number;
  failed: number;
  /** Jobs an admin cancelled (no failure). */
  cancelled: number;
  skipped: number;
}

export type RolloutStatus =
  | 'Running'
  | 'Soaking'
  | 'AwaitingApproval'
  | 'Paused'
  | 'Halted'
  | 'RollingBack'
  | 'Completed'
  | 'Cancelled'
  | 'RolledBack';

/** How far rolling a rollout's failed clients back got. */
export interface RolloutRollback {
  reason?: string;
  counts: {
    total: number;
    pending: number;
    inFlight: number;
    succeeded: number;
    failed: number;
    skipped: number;
    left: number;
  };
}

export interface RolloutPhase {
  size: number;
  batchSize: number;
  soakSeconds: number;
  requiresApproval: boolean;
  maxFailures?: number;
  maxFailureRate?: { percent: number; minFinished: number };
  status: 'pending' | 'waiting' | 'running' | 'paused' | 'halted' | 'completed' | 'cancelled';
  counts: RolloutCounts;
}

export interface RolloutSummary {
  rolloutId: string;
  status: RolloutStatus;
  kind: 'update' | 'config';
  image?: string;
  targetVersion?: string;
  imageDigest?: string;
  /** An update rollout by release: the release it installs. */
  releaseId?: string;
  configVersion?: number;
  labels?: Record<string, string>;
  batchSize: number;
  maxFailures: number;
  phases: RolloutPhase[];
  currentPhase: number;
  soakUntil?: string;
  followUntil?: string;
  startedAt: string;
  endedAt?: string;
  haltReason?: string;
  counts: RolloutCounts;
  percentDone: number;
  rollback?: RolloutRollback;
}

export interface RolloutClient {
  clientId: string;
  state: string;
  jobId?: string;
  outcome?: string;
  skipped?: { code: string; reason: string };
  attempt?: number;
  retryAt?: string;
  /** A failed target of a rollout rolled back: where its way back stands. */
  rollback?: { state: string; version?: string; jobId?: string; code?: string; reason?: string };
}

export interface RolloutView extends RolloutSummary {
  /** The first page of targets; `clientsNextCursor` pages on. */
  clients: RolloutClient[];
  clientsNextCursor?: string;
}

/** A version of a product in the catalogue (GET /releases, GET /releases/{id}): never edited. */
export interface Release {
  releaseId: string;
  product: string;
  /** A semantic version. */
  version: string;
  image: string;
  imageDigest: string;
  /** Plain text: shown as text, never as HTML. */
  notes: string;
  /** Labels a client must carry, with these values, to be given the release. */
  constraints: Record<string, string>;
  registeredAt: string;
  /** Present once withdrawn: no new job installs it. */
  withdrawn?: { reason: string; at: string };
}

/** Where a client stands with a release (GET /releases/{id}/clients). */
export const RELEASE_CLIENT_STATES = ['running', 'updating', 'failed'] as const;
export type ReleaseClientState = (typeof RELEASE_CLIENT_STATES)[number];

export interface ReleaseClient {
  clientId: string;
  state: ReleaseClientState;
  /** Its latest update job by the release, and that job's status. */
  jobId: string;
  jobStatus: string;
  reportedVersion?: string;
}

/** Final job statuses: nothing changes after them. */
export const FINAL_JOB_STATUSES = [
  'Succeeded',
  'Failed',
  'RolledBack',
  'TimedOut',
  'Cancelled',
  'Applied',
  'Rejected',
];

export interface Overview {
  clients: number;
  byStatus: { key: string; count: number }[];
  byVersion: { key: string; count: number }[];
  offline: number;
  jobsInFlight: number;
  failuresSince: string;
  failures: {
    jobId: string;
    kind: string;
    clientId: string;
    status: string;
    phase?: string;
    reason?: string;
    code?: string;
    finishedAt?: string;
  }[];
}

/** What a client's agent last said of itself (GET /clients/{id}/device). */
export interface DeviceState {
  clientId: string;
  reported: boolean;
  stale: boolean;
  presence?: string;
  agentVersion?: string;
  workload?: { version?: string; image?: string; running: boolean; problem?: unknown };
  configVersion?: number;
  currentJob?: { jobId: string; kind: string; state: string; since: string } | null;
  clockSkewSeconds?: number;
  freeDiskBytes?: number;
  lastTransitions?: { state: string; at: string }[];
  lastError?: { jobId: string; code: string; message: string; at: string };
  reportedAt?: string;
  receivedAt?: string;
}

/** What a webhook subscription may ask for (device-management alerts/alert-kinds.ts). */
export const ALERT_KINDS = [
  'job.failed',
  'job.rolled_back',
  'job.timed_out',
  'rollout.halted',
  'rollout.awaiting_approval',
  'client.offline',
  'device.workload_down',
  'device.clock_skew',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/** A webhook subscription (GET /alerts/subscriptions): never with its secret. */
export interface AlertSubscription {
  subscriptionId: string;
  url: string;
  kinds: AlertKind[];
  offlineMinutes: number;
  createdAt: string;
  createdBy: string;
}

/** The answer to POST /alerts/subscriptions: the only one that carries the secret. */
export interface CreatedAlertSubscription extends AlertSubscription {
  secret: string;
}

export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** One delivery of an alert to a subscription (GET /alerts/deliveries). */
export interface AlertDelivery {
  deliveryId: string;
  subscriptionId: string;
  kind: AlertKind;
  eventId: string;
  eventType: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt?: string;
  lastStatusCode?: number;
  lastError?: string;
  createdAt: string;
  updatedAt: string;
}

/** One stored event as the audit trail shows it (GET /audit/events). */
export interface AuditEvent {
  eventId: string;
  type: string;
  recordedAt: string;
  subjectKind: 'client' | 'update-job' | 'config-job' | 'rollout' | 'release';
  subjectId: string;
  revision: number;
  actor?: string;
  correlationId?: string;
  causationId?: string;
  data: unknown;
}
