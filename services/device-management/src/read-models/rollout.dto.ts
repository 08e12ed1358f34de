import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { MaintenanceWindow } from '../rollouts/domain/maintenance-window';
import type { FailureRate } from '../rollouts/domain/rollout-phases';
import type { JobKind } from '../shared/domain/domain-event';
import {
  entryStateOf,
  jobKindOfRollout,
  progressOf,
  rollbackStateOf,
  type Rollback,
  type RollbackEntryState,
  type Rollout,
  type RolloutClientEntry,
  type RolloutEntryState,
  type RolloutStatus,
} from '../rollouts/domain/rollout.decider';
import type { RolloutJobOutcome } from '../rollouts/domain/rollout.events';

export const ROLLOUT_ID_EXAMPLE = '9d3c1f0a-2b4e-4f6a-8c7d-1e2f3a4b5c6d';
const JOB_ID_EXAMPLE = '3f6b2c1e-8a4d-4e7f-9b0c-5d1e2f3a4b5c';
const TIME_EXAMPLE = '2026-11-30T22:15:00.000Z';

export const ROLLOUT_STATUSES: readonly RolloutStatus[] = [
  'Running',
  'Soaking',
  'AwaitingApproval',
  'Paused',
  'Halted',
  'RollingBack',
  'Completed',
  'Cancelled',
  'RolledBack',
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
  @ApiProperty({
    description: 'Clients refused by the update request (unknown, busy...)',
    example: 0,
  })
  skipped: number;
}

/** Where a failed target's roll-back stands; `left`: it got no job (see `reason`). */
export type RolloutClientRollbackState = RollbackEntryState | 'left';

export class RolloutClientRollbackDto {
  @ApiProperty({
    enum: [
      'pending',
      'in_flight',
      'skipped',
      'left',
      'succeeded',
      'failed',
      'rolled_back',
      'timed_out',
      'cancelled',
    ],
    example: 'succeeded',
  })
  state: RolloutClientRollbackState;
  @ApiPropertyOptional({ description: 'The release it goes back to', example: '2.0.0' })
  version?: string;
  @ApiPropertyOptional({ example: 'registry.example.com/opc-core:2.0.0' }) image?: string;
  @ApiPropertyOptional({
    format: 'uuid',
    description: 'The roll-back job',
    example: JOB_ID_EXAMPLE,
  })
  jobId?: string;
  @ApiPropertyOptional({
    description: 'Left or skipped: the code of why it got no job; failed: the failure code',
    example: 'already_on_previous_release',
  })
  code?: string;
  @ApiPropertyOptional({
    description: 'Left or skipped: why it got no job',
    example:
      'client press-07 reported 2.0.0 again when job 3f6b2c1e-8a4d-4e7f-9b0c-5d1e2f3a4b5c ended',
  })
  reason?: string;
}

export class RolloutRollbackCountsDto {
  @ApiProperty({ description: 'Failed clients given a roll-back job', example: 3 }) total: number;
  @ApiProperty({ example: 0 }) pending: number;
  @ApiProperty({ example: 1 }) inFlight: number;
  @ApiProperty({ example: 2 }) succeeded: number;
  @ApiProperty({ description: 'Roll-back jobs that failed, rolled back or timed out', example: 0 })
  failed: number;
  @ApiProperty({ description: 'Roll-back jobs the update request refused', example: 0 })
  skipped: number;
  @ApiProperty({
    description: 'Failed clients given no job (already back, or the earlier release unknown)',
    example: 1,
  })
  left: number;
}

export class RolloutRollbackDto {
  @ApiPropertyOptional({ example: 'the canary crashed on start' }) reason?: string;
  @ApiProperty({ type: RolloutRollbackCountsDto }) counts: RolloutRollbackCountsDto;
}

export class RolloutClientDto {
  @ApiProperty({ example: 'press-07' }) clientId: string;
  @ApiProperty({ enum: ROLLOUT_CLIENT_STATES, example: 'in_flight' }) state: RolloutClientState;
  @ApiPropertyOptional({ format: 'uuid', example: JOB_ID_EXAMPLE }) jobId?: string;
  @ApiPropertyOptional({
    enum: ['succeeded', 'failed', 'rolled_back', 'timed_out', 'cancelled'],
    example: 'failed',
  })
  outcome?: RolloutJobOutcome;
  @ApiPropertyOptional({
    description: 'The failure code of the last job, when it failed',
    example: 'registry_unreachable',
  })
  code?: string;
  @ApiPropertyOptional({
    description: 'Why no job was requested (`code` and `reason`)',
    example: {
      code: 'in_another_rollout',
      reason:
        'client press-07 is a target of rollout 1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d, started earlier and not done with it',
    },
  })
  skipped?: { code: string; reason: string };
  @ApiPropertyOptional({
    type: RolloutClientRollbackDto,
    description: 'A failed target of a rollout rolled back: where its way back stands',
  })
  rollback?: RolloutClientRollbackDto;
  @ApiPropertyOptional({
    description: 'Which job of the client this is (2 and up: retries)',
    example: 2,
  })
  attempt?: number;
  @ApiPropertyOptional({
    description: 'Retrying: when the next job is requested',
    example: TIME_EXAMPLE,
  })
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
  @ApiProperty({ format: 'uuid', example: ROLLOUT_ID_EXAMPLE }) rolloutId: string;
  @ApiProperty({ enum: ROLLOUT_STATUSES, example: 'Running' }) status: RolloutStatus;
  @ApiProperty({
    enum: ['update', 'config'],
    description: 'The kind of the jobs it opens',
    example: 'update',
  })
  kind: JobKind;
  @ApiPropertyOptional({ example: 'registry.example.com/opc-core' }) image?: string;
  @ApiPropertyOptional({ example: '2.0.0' }) targetVersion?: string;
  @ApiPropertyOptional({
    example: 'sha256:4c1a8e4f0e0d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b',
  })
  imageDigest?: string;
  @ApiPropertyOptional({
    format: 'uuid',
    example: '4f1b2c3d-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
    description: 'An update rollout by release: the release it installs',
  })
  releaseId?: string;
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
  @ApiPropertyOptional({
    description: 'Soaking: when the next phase may start',
    example: TIME_EXAMPLE,
  })
  soakUntil?: string;
  @ApiPropertyOptional({ example: { max: 2, backoffSeconds: 60 } })
  retries?: { max: number; backoffSeconds: number };
  @ApiPropertyOptional({
    description:
      'Jobs start only inside these weekly hours: in each target’s own zone with ' +
      '`timeZoneLabel`, else in `timeZone`',
    example: {
      timeZone: 'Europe/Berlin',
      timeZoneLabel: 'tz',
      days: ['mon', 'tue'],
      start: '22:00',
      end: '04:00',
    },
  })
  window?: MaintenanceWindow;
  @ApiPropertyOptional({
    description: 'Clients registered with its labels join until then',
    example: '2026-12-31T00:00:00.000Z',
  })
  followUntil?: string;
  @ApiProperty({ example: '2026-11-30T22:00:00.000Z' }) startedAt: string;
  @ApiPropertyOptional({ example: '2026-11-30T23:10:00.000Z' }) endedAt?: string;
  @ApiPropertyOptional({
    example: '3 of 10 finished jobs in phase 1 failed (30%), over maxFailureRate 20%',
  })
  haltReason?: string;
  @ApiProperty({ type: RolloutCountsDto }) counts: RolloutCountsDto;
  @ApiProperty({ description: 'Targets settled (job ended or skipped), 0-100', example: 10 })
  percentDone: number;
  @ApiPropertyOptional({
    type: RolloutRollbackDto,
    description: 'Once an admin rolled the failed clients back: how far that got',
  })
  rollback?: RolloutRollbackDto;
}

export class RolloutDto extends RolloutSummaryDto {
  @ApiProperty({
    type: [RolloutClientDto],
    description:
      'The first page of targets, in request order; `clientsNextCursor` pages on through ' +
      '`GET /api/v1/rollouts/{id}/clients`',
  })
  clients: RolloutClientDto[];
  @ApiPropertyOptional({
    description: 'Pass as `cursor` to `GET /api/v1/rollouts/{id}/clients`',
    example: 'WyIxMDAiXQ',
  })
  clientsNextCursor?: string;
}

export class RolloutListDto {
  @ApiProperty({ type: [RolloutSummaryDto], description: 'Newest first' })
  items: RolloutSummaryDto[];
  @ApiPropertyOptional({
    description: 'Pass as `cursor` to get the next page',
    example: 'WyIxMDAiXQ',
  })
  nextCursor?: string;
}

export class RolloutClientPageDto {
  @ApiProperty({ type: [RolloutClientDto], description: 'In request order' })
  items: RolloutClientDto[];
  @ApiPropertyOptional({
    description: 'Pass as `cursor` to get the next page',
    example: 'WyIxMDAiXQ',
  })
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
    ...(request.release ? { releaseId: request.release.releaseId } : {}),
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
    ...(rollout.rollback ? { rollback: toRollbackDto(rollout.rollback) } : {}),
  };
}

function toRollbackDto({ reason, counts, order, left }: Rollback): RolloutRollbackDto {
  return {
    ...(reason ? { reason } : {}),
    counts: {
      total: order.length,
      pending: counts.pending,
      inFlight: counts.in_flight,
      succeeded: counts.succeeded,
      failed: counts.failed + counts.rolled_back + counts.timed_out + counts.cancelled,
      skipped: counts.skipped,
      left: left.length,
    },
  };
}

export function toRolloutClientDto(rollout: Rollout, clientId: string): RolloutClientDto {
  const entry: RolloutClientEntry | undefined = rollout.clients.get(clientId);
  const rollback = rollbackOfClient(rollout.rollback, clientId);
  return { clientId, state: entryStateOf(entry), ...entry, ...(rollback ? { rollback } : {}) };
}

function rollbackOfClient(
  rollback: Rollback | undefined,
  clientId: string,
): RolloutClientRollbackDto | undefined {
  const entry = rollback?.entries.get(clientId);
  if (entry) {
    const { skipped, ...rest } = entry;
    return { state: rollbackStateOf(entry), ...rest, ...skipped };
  }
  const left = rollback ? leftByClient(rollback.left).get(clientId) : undefined;
  return left ? { state: 'left', code: left.code, reason: left.reason } : undefined;
}

const leftIndexes = new WeakMap<Rollback['left'], Map<string, Rollback['left'][number]>>();

/** The clients a roll-back left out, by id (indexed once: its start writes every one's row). */
function leftByClient(left: Rollback['left']): Map<string, Rollback['left'][number]> {
  let index = leftIndexes.get(left);
  if (!index) {
    index = new Map(left.map((leftOut) => [leftOut.clientId, leftOut]));
    leftIndexes.set(left, index);
  }
  return index;
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
