import type { UpdateOutcome } from '../../clients/domain/client.events';
import type { DomainEvent, IsoTimestamp } from '../../shared/domain/domain-event';

/** How a rollout's job for one client ended (the final event of its update job). */
export type RolloutJobOutcome = UpdateOutcome;

/**
 * The events of stream `rollout/{tenantId}/{rolloutId}`. Their names and fields are stored for good:
 * add optional fields, never rename or remove one.
 */
export type RolloutStarted = DomainEvent<
  'RolloutStarted',
  {
    rolloutId: string;
    tenantId: string;
    image: string;
    targetVersion: string;
    imageDigest?: string;
    /** Client ids in the order their jobs are requested. */
    targets: string[];
    /** The labels the targets were chosen by, when they were not listed. */
    selector?: { labels: Record<string, string> };
    /** At most this many jobs in flight at once. */
    batchSize: number;
    /** The rollout halts when more jobs than this have not succeeded. */
    maxFailures: number;
    startedAt: IsoTimestamp;
  }
>;

/** The driver opened update job `jobId` for `clientId` (RequestUpdate succeeded). */
export type RolloutJobRequested = DomainEvent<
  'RolloutJobRequested',
  { rolloutId: string; clientId: string; jobId: string; at: IsoTimestamp }
>;

/** RequestUpdate refused the client (unknown, update in flight...): no job for it. */
export type RolloutClientSkipped = DomainEvent<
  'RolloutClientSkipped',
  { rolloutId: string; clientId: string; reason: string; code: string; at: IsoTimestamp }
>;

export type RolloutJobFinished = DomainEvent<
  'RolloutJobFinished',
  {
    rolloutId: string;
    clientId: string;
    jobId: string;
    outcome: RolloutJobOutcome;
    at: IsoTimestamp;
  }
>;

/** More failures than maxFailures: no new jobs; the jobs in flight run to their end. */
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

export type RolloutEvent =
  | RolloutStarted
  | RolloutJobRequested
  | RolloutClientSkipped
  | RolloutJobFinished
  | RolloutHalted
  | RolloutCompleted
  | RolloutCancelled;
