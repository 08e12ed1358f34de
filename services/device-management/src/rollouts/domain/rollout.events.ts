import type { UpdateOutcome } from '../../clients/domain/client.events';
import type { DomainEvent, IsoTimestamp } from '../../shared/domain/domain-event';
import type { MaintenanceWindow } from './maintenance-window';
import type { FailureRate, RolloutPhase } from './rollout-phases';
import type { RolloutRetries } from './rollout-retries';

/** How a rollout's job for one client ended (config jobs: applied is succeeded, rejected failed). */
export type RolloutJobOutcome = UpdateOutcome;

/** The configuration a config rollout gives every target, at one version. */
export interface RolloutConfig {
  version: number;
  settings: Record<string, unknown>;
}

/**
 * The events of stream `rollout/{tenantId}/{rolloutId}`. Their names and fields are stored for good:
 * add optional fields, never rename or remove one.
 */
export type RolloutStarted = DomainEvent<
  'RolloutStarted',
  {
    rolloutId: string;
    tenantId: string;
    /** An update rollout: the image each client runs. */
    image?: string;
    targetVersion?: string;
    imageDigest?: string;
    /**
     * An update rollout by release: image, digest and version above are the release's; each
     * client must meet its constraints, and may not go down a version unless allowed (else it
     * is skipped). A release withdrawn meanwhile opens no more jobs.
     */
    release?: {
      releaseId: string;
      constraints: Record<string, string>;
      allowDowngrade?: boolean;
    };
    /** A config rollout (no image): the configuration each client gets. */
    config?: RolloutConfig;
    /** Client ids in the order their jobs are requested. */
    targets: string[];
    /** The labels the targets were chosen by, when they were not listed. */
    selector?: { labels: Record<string, string> };
    /** At most this many jobs in flight at once. */
    batchSize: number;
    /** The rollout halts when more jobs than this have failed (in the whole rollout). */
    maxFailures: number;
    /** The rollout halts when the share of failed jobs among the finished passes this. */
    maxFailureRate?: FailureRate;
    /**
     * The phases, in order, their sizes resolved when the rollout started (they sum to the
     * targets). Absent (rollouts started before phases): one phase of every target.
     */
    phases?: RolloutPhase[];
    /** A job that failed for a passing reason is tried again before it counts. */
    retries?: RolloutRetries;
    /** Jobs start only inside these hours; outside them the rollout waits. */
    window?: MaintenanceWindow;
    /**
     * With a window's `timeZoneLabel`: the value of that label by client id, for the targets
     * that carry it when the rollout starts (read as a time zone when used; see
     * timeZoneOfTarget).
     */
    targetTimeZones?: Record<string, string>;
    /**
     * A rollout by labels that follows its selector until then: clients registered with the
     * labels meanwhile become targets too (RolloutTargetAdded), and it completes no earlier.
     */
    followUntil?: IsoTimestamp;
    startedAt: IsoTimestamp;
  }
>;

/** The driver opened update job `jobId` for `clientId` (RequestUpdate succeeded). */
export type RolloutJobRequested = DomainEvent<
  'RolloutJobRequested',
  { rolloutId: string; clientId: string; jobId: string; at: IsoTimestamp }
>;

/**
 * A client registered with the rollout's labels while it followed them: a target now.
 * `timeZone`: the value of its window's `timeZoneLabel`, when the client carries it.
 */
export type RolloutTargetAdded = DomainEvent<
  'RolloutTargetAdded',
  { rolloutId: string; clientId: string; at: IsoTimestamp; timeZone?: string }
>;

/** RequestUpdate refused the client (unknown, update in flight...): no job for it. */
export type RolloutClientSkipped = DomainEvent<
  'RolloutClientSkipped',
  { rolloutId: string; clientId: string; reason: string; code: string; at: IsoTimestamp }
>;

/** How one job of a rollout ended (its own job, a retry, or a roll-back job). */
export interface RolloutJobEnd {
  rolloutId: string;
  clientId: string;
  jobId: string;
  outcome: RolloutJobOutcome;
  /** The failure's code (`registry_unreachable`...), when the job failed. */
  code?: string;
  at: IsoTimestamp;
}

export type RolloutJobFinished = DomainEvent<'RolloutJobFinished', RolloutJobEnd>;

/**
 * The job of `clientId` failed for a passing reason: another job is requested at `retryAt`
 * (attempt `attempt`, counting the first job as 1), and this failure does not count.
 */
export type RolloutJobRetryScheduled = DomainEvent<
  'RolloutJobRetryScheduled',
  { rolloutId: string; clientId: string; attempt: number; retryAt: IsoTimestamp; at: IsoTimestamp }
>;

/**
 * A failure limit was passed (`reason` says which): no new jobs; the jobs in flight run to
 * their end. An admin may resume it (RolloutResumed) after a fix, or cancel it.
 */
export type RolloutHalted = DomainEvent<
  'RolloutHalted',
  { rolloutId: string; reason: string; failures: number; at: IsoTimestamp }
>;

export type RolloutCompleted = DomainEvent<
  'RolloutCompleted',
  { rolloutId: string; at: IsoTimestamp }
>;

/** An admin stopped the rollout: no new jobs; the jobs in flight run to their end. */
export type RolloutCancelled = DomainEvent<
  'RolloutCancelled',
  { rolloutId: string; at: IsoTimestamp; reason?: string }
>;

/**
 * Every target of phase `phase` settled within its limits. With `soakUntil` the rollout waits
 * until then before the next phase (a soak: time for problems to show).
 */
export type RolloutPhaseCompleted = DomainEvent<
  'RolloutPhaseCompleted',
  { rolloutId: string; phase: number; at: IsoTimestamp; soakUntil?: IsoTimestamp }
>;

/** Phase `phase` needs an admin's approval before its first job. */
export type RolloutPhaseAwaitingApproval = DomainEvent<
  'RolloutPhaseAwaitingApproval',
  { rolloutId: string; phase: number; at: IsoTimestamp }
>;

/** An admin (`approvedBy`, also the event's actor) let phase `phase` start. */
export type RolloutPhaseApproved = DomainEvent<
  'RolloutPhaseApproved',
  { rolloutId: string; phase: number; approvedBy: string; at: IsoTimestamp; comment?: string }
>;

/** Phase `phase` (after the first) opens: the driver requests its jobs. */
export type RolloutPhaseStarted = DomainEvent<
  'RolloutPhaseStarted',
  { rolloutId: string; phase: number; at: IsoTimestamp }
>;

/** An admin paused the rollout: no new jobs until it is resumed; jobs in flight run on. */
export type RolloutPaused = DomainEvent<
  'RolloutPaused',
  { rolloutId: string; at: IsoTimestamp; reason?: string }
>;

/**
 * An admin resumed a paused or halted rollout. After a halt, the failures so far are
 * forgiven: the limits count the failures after the resume.
 */
export type RolloutResumed = DomainEvent<
  'RolloutResumed',
  { rolloutId: string; at: IsoTimestamp; reason?: string }
>;

/** A failed target returned to the release it ran before its job (an update rollout only). */
export interface RollbackTarget {
  clientId: string;
  version: string;
  image: string;
}

/**
 * An admin finished a halted or paused update rollout by returning its failed clients to what
 * they ran before: each of `targets` gets an update job to its own earlier release; `left` are
 * the failed clients given none, and why (already back on it, or that release is not known).
 */
export type RolloutRollbackStarted = DomainEvent<
  'RolloutRollbackStarted',
  {
    rolloutId: string;
    targets: RollbackTarget[];
    left: Array<{ clientId: string; code: string; reason: string }>;
    at: IsoTimestamp;
    reason?: string;
  }
>;

/** The driver opened the roll-back job `jobId` of `clientId`. */
export type RolloutRollbackJobRequested = DomainEvent<
  'RolloutRollbackJobRequested',
  { rolloutId: string; clientId: string; jobId: string; at: IsoTimestamp }
>;

/** A client's roll-back job ended (no retries: a failure is shown and left to people). */
export type RolloutRollbackJobFinished = DomainEvent<'RolloutRollbackJobFinished', RolloutJobEnd>;

/** RequestUpdate refused a client's roll-back job (another update in flight...). */
export type RolloutRollbackSkipped = DomainEvent<
  'RolloutRollbackSkipped',
  { rolloutId: string; clientId: string; reason: string; code: string; at: IsoTimestamp }
>;

/** Every roll-back job ended or was refused: the rollout is over. */
export type RolloutRolledBack = DomainEvent<
  'RolloutRolledBack',
  { rolloutId: string; succeeded: number; failed: number; skipped: number; at: IsoTimestamp }
>;

export type RolloutEvent =
  | RolloutStarted
  | RolloutJobRequested
  | RolloutTargetAdded
  | RolloutClientSkipped
  | RolloutJobFinished
  | RolloutJobRetryScheduled
  | RolloutHalted
  | RolloutCompleted
  | RolloutCancelled
  | RolloutPhaseCompleted
  | RolloutPhaseAwaitingApproval
  | RolloutPhaseApproved
  | RolloutPhaseStarted
  | RolloutPaused
  | RolloutResumed
  | RolloutRollbackStarted
  | RolloutRollbackJobRequested
  | RolloutRollbackJobFinished
  | RolloutRollbackSkipped
  | RolloutRolledBack;

// A record, not a list: the compiler fails here when a rollout event is added or removed.
const ROLLOUT_EVENT_TYPE_SET: Record<RolloutEvent['type'], true> = {
  RolloutStarted: true,
  RolloutJobRequested: true,
  RolloutTargetAdded: true,
  RolloutClientSkipped: true,
  RolloutJobFinished: true,
  RolloutJobRetryScheduled: true,
  RolloutHalted: true,
  RolloutCompleted: true,
  RolloutCancelled: true,
  RolloutPhaseCompleted: true,
  RolloutPhaseAwaitingApproval: true,
  RolloutPhaseApproved: true,
  RolloutPhaseStarted: true,
  RolloutPaused: true,
  RolloutResumed: true,
  RolloutRollbackStarted: true,
  RolloutRollbackJobRequested: true,
  RolloutRollbackJobFinished: true,
  RolloutRollbackSkipped: true,
  RolloutRolledBack: true,
};

export const ROLLOUT_EVENT_TYPES = Object.keys(ROLLOUT_EVENT_TYPE_SET) as RolloutEvent['type'][];
