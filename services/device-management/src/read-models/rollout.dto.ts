import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { MaintenanceWindow } from '../rollouts/domain/maintenance-window';
import type { FailureRate } from '../rollouts/domain/rollout-phases';
import type { JobKind } from '../shared/domain/domain-event';
import {
  entryStateOf,
  jobKindOfRollout,
  progressOf,
  type Rollout,
  type RolloutClientEntry,
  type RolloutEntryState,
  type RolloutStatus,
} from '../rollouts/domain/rollout.decider';
import type { RolloutJobOutcome } from '../rollouts/domain/rollout.events';

export const ROLLOUT_STATUSES: readonly RolloutStatus[] = [
  'Running',
  'Soaking',
  'AwaitingApproval',
  'Paused',
  'Halted',
  'Completed',
  'Cancelled',
];

/** Where one phase stands; `waiting`: for its soak or its approval (the rollout's status says). */
export type RolloutPhaseStatus =
  'pending' | 'waiting' | 'running' | 'paused' | 'halted' | 'completed' | 'cancelled';
const PHASE_STATUSES: readonly RolloutPhaseStatus[] = [
  'pending',
  'waiting',
  'running',
  'paused',
  'halted',
  'completed',
  'cancelled',
];

/** Where one target of a rollout stands, as one word to filter on. */
export type RolloutClientState = RolloutEntryState;
export const ROLLOUT_CLIENT_STATES: readonly RolloutClientState[] = [
  'pending',
  'in_flight',
  'retrying',
  'skipped',
  'succeeded',
  'failed',
  'rolled_back',
  'timed_out',
  'cancelled',
];

export class RolloutCountsDto {
  @ApiProperty({ example: 100 }) total: number;
  @ApiProperty({ description: 'No job requested yet', example: 80 }) pending: number;
  @ApiProperty({ example: 10 }) inFlight: number;
  @ApiProperty({ description: 'Failed for a passing reason, waiting for a retry', example: 0 })
  retrying: number;
  @ApiProperty({ example: 9 }) succeeded: number;
  @ApiProperty({ description: 'Jobs that failed, rolled back or timed out', example: 1 })
  failed: number;
  @ApiProperty({ description: 'Jobs an admin cancelled (no failure)', example: 0 })
  cancelled: number;
  @ApiProperty({ description: 'Clients refused by the update request (unknown, busy...)' })
  skipped: number;
}

export class RolloutClientDto {
  @ApiProperty({ example: 'press-07' }) clientId: string;
  @ApiProperty({ enum: ROLLOUT_CLIENT_STATES, example: 'in_flight' }) state: RolloutClientState;
  @ApiPropertyOptional({ format: 'uuid' }) jobId?: string;
  @ApiPropertyOptional({ enum: ['succeeded', 'failed', 'rolled_back', 'timed_out', 'cancelled'] })
  outcome?: RolloutJobOutcome;
  @ApiPropertyOptional({ description: 'The failure code of the last job, when it failed' })
  code?: string;
  @ApiPropertyOptional({ description: 'Why no job was requested (`code` and `reason`)' })
  skipped?: { code: string; reason: string };
  @ApiPropertyOptional({ description: 'Which job of the client this is (2 and up: retries)' })
  attempt?: number;
  @ApiPropertyOptional({ description: 'Retrying: when the next job is requested' })
  retryAt?: string;
}

export class FailureRateDto {
  @ApiProperty({ example: 5 }) percent: number;
  @ApiProperty({ example: 20 }) minFinished: number;
}

export class RolloutPhaseDto {
  @ApiProperty({ example: 1, description: 'Clients in the phase' }) size: number;
  @ApiProperty({ example: 10 }) batchSize: number;
  @ApiProperty({ example: 600 }) soakSeconds: number;
  @ApiProperty({ example: false }) requiresApproval: boolean;
  @ApiPropertyOptional({ example: 2 }) maxFailures?: number;
  @ApiPropertyOptional({ type: FailureRateDto }) maxFailureRate?: FailureRate;
  @ApiProperty({ enum: PHASE_STATUSES, example: 'running' }) status: RolloutPhaseStatus;
  @ApiProperty({ type: RolloutCountsDto }) counts: RolloutCountsDto;
}

/** A rollout without its per-client entries (the list, and the head of the detail). */
export class RolloutSummaryDto {
  @ApiProperty({ format: 'uuid' }) rolloutId: string;
  @ApiProperty({ enum: ROLLOUT_STATUSES }) status: RolloutStatus;
  @ApiProperty({ enum: ['update', 'config'], description: 'The kind of the jobs it opens' })
  kind: JobKind;
  @ApiPropertyOptional({ example: 'registry.example.com/opc-core' }) image?: string;
  @ApiPropertyOptional({ example: '2.0.0' }) targetVersion?: string;
  @ApiPropertyOptional() imageDigest?: string;
  @ApiPropertyOptional({ example: 4, description: 'A config rollout: the version it applies' })
  configVersion?: number;
  @ApiPropertyOptional({
    description: 'The labels the targets were chosen by, when they were not listed',
    example: { line: 'A' },
  })
  labels?: Record<string, string>;
  @ApiProperty({ example: 10 }) batchSize: number;
  @ApiProperty({ example: 0 }) maxFailures: number;
  @ApiPropertyOptional({ type: FailureRateDto }) maxFailureRate?: FailureRate;
  @ApiProperty({ type: [RolloutPhaseDto], description: 'One phase of all targets by default' })
  phases: RolloutPhaseDto[];
  @ApiProperty({
    example: 0,
    description: 'Index of the phase in progress, or (soaking, awaiting approval) the next one',
  })
  currentPhase: number;
  @ApiPropertyOptional({ description: 'Soaking: when the next phase may start' })
  soakUntil?: string;
  @ApiPropertyOptional({ example: { max: 2, backoffSeconds: 60 } })
  retries?: { max: number; backoffSeconds: number };
  @ApiPropertyOptional({
    example: { timeZone: 'Europe/Berlin', days: ['mon', 'tue'], start: '22:00', end: '04:00' },
  })
  window?: MaintenanceWindow;
  @ApiPropertyOptional({ description: 'Clients registered with its labels join until then' })
  followUntil?: string;
  @ApiProperty() startedAt: string;
  @ApiPropertyOptional() endedAt?: string;
  @ApiPropertyOptional() haltReason?: string;
  @ApiProperty({ type: RolloutCountsDto }) counts: RolloutCountsDto;
  @ApiProperty({ description: 'Targets settled (job ended or skipped), 0-100', example: 10 })
  percentDone: number;
}

export class RolloutDto extends RolloutSummaryDto {
  @ApiProperty({
    type: [RolloutClientDto],
    description:
      'The first page of targets, in request order; `clientsNextCursor` pages on through ' +
      '`GET /api/v1/rollouts/{id}/clients`',
  })
  clients: RolloutClientDto[];
  @ApiPropertyOptional({ description: 'Pass as `cursor` to `GET /api/v1/rollouts/{id}/clients`' })
  clientsNextCursor?: string;
}

export class RolloutListDto {
  @ApiProperty({ type: [RolloutSummaryDto], description: 'Newest first' })
  items: RolloutSummaryDto[];
  @ApiPropertyOptional({ description: 'Pass as `cursor` to get the next page' })
  nextCursor?: string;
}

export class RolloutClientPageDto {
  @ApiProperty({ type: [RolloutClientDto], description: 'In request order' })
  items: RolloutClientDto[];
  @ApiPropertyOptional({ description: 'Pass as `cursor` to get the next page' })
  nextCursor?: string;
}

export function toRolloutSummaryDto(rollout: Rollout): RolloutSummaryDto {
  const { request } = rollout;
  const { percentDone, ...counts } = progressOf(rollout);
  return {
    rolloutId: request.rolloutId,
    status: rollout.status,
    kind: jobKindOfRollout(request),
    ...(request.image ? { image: request.image } : {}),
    ...(request.targetVersion ? { targetVersion: request.targetVersion } : {}),
    ...(request.imageDigest ? { imageDigest: request.imageDigest } : {}),
    ...(request.config ? { configVersion: request.config.version } : {}),
    ...(request.selector ? { labels: request.selector.labels } : {}),
    batchSize: request.batchSize,
    maxFailures: request.maxFailures,
    ...(request.maxFailureRate ? { maxFailureRate: request.maxFailureRate } : {}),
    ...(request.retries ? { retries: request.retries } : {}),
    ...(request.window ? { window: request.window } : {}),
    ...(request.followUntil ? { followUntil: request.followUntil } : {}),
    phases: rollout.phases.map((phase, index) => {
      const { percentDone: _, ...phaseCounts } = progressOf(rollout, index);
      return { ...phase, status: phaseStatusOf(rollout, index), counts: phaseCounts };
    }),
    currentPhase: rollout.phase,
    ...(rollout.soakUntil ? { soakUntil: rollout.soakUntil } : {}),
    startedAt: request.startedAt,
    ...(rollout.endedAt ? { endedAt: rollout.endedAt } : {}),
    ...(rollout.haltReason ? { haltReason: rollout.haltReason } : {}),
    counts,
    percentDone,
  };
}

export function toRolloutClientDto(
  clientId: string,
  entry: RolloutClientEntry | undefined,
): RolloutClientDto {
  return { clientId, state: entryStateOf(entry), ...entry };
}

function phaseStatusOf(rollout: Rollout, index: number): RolloutPhaseStatus {
  if (index < rollout.phase || rollout.status === 'Completed') return 'completed';
  if (index > rollout.phase) return 'pending';
  switch (rollout.status) {
    case 'Soaking':
    case 'AwaitingApproval':
      return 'waiting';
    case 'Paused':
      return 'paused';
    case 'Halted':
      return 'halted';
    case 'Cancelled':
      return 'cancelled';
    default:
      return 'running';
  }
}
