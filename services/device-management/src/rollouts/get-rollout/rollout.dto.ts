import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { progressOf, type Rollout, type RolloutStatus } from '../domain/rollout.decider';
import type { RolloutJobOutcome } from '../domain/rollout.events';

export class RolloutCountsDto {
  @ApiProperty() total: number;
  @ApiProperty({ description: 'No job requested yet' }) pending: number;
  @ApiProperty() inFlight: number;
  @ApiProperty() succeeded: number;
  @ApiProperty({ description: 'Jobs that failed, rolled back, timed out or were cancelled' })
  failed: number;
  @ApiProperty({ description: 'Clients refused by the update request (unknown, busy...)' })
  skipped: number;
}

export class RolloutClientDto {
  @ApiProperty() clientId: string;
  @ApiPropertyOptional({ format: 'uuid' }) jobId?: string;
  @ApiPropertyOptional({ enum: ['succeeded', 'failed', 'rolled_back', 'timed_out', 'cancelled'] })
  outcome?: RolloutJobOutcome;
  @ApiPropertyOptional({ description: 'Why no job was requested (`code` and `reason`)' })
  skipped?: { code: string; reason: string };
}

/** A rollout without its per-client entries (the list). */
export class RolloutSummaryDto {
  @ApiProperty({ format: 'uuid' }) rolloutId: string;
  @ApiProperty({ enum: ['Running', 'Halted', 'Completed', 'Cancelled'] }) status: RolloutStatus;
  @ApiProperty() image: string;
  @ApiProperty() targetVersion: string;
  @ApiPropertyOptional() imageDigest?: string;
  @ApiProperty() batchSize: number;
  @ApiProperty() maxFailures: number;
  @ApiProperty() startedAt: string;
  @ApiPropertyOptional() endedAt?: string;
  @ApiPropertyOptional() haltReason?: string;
  @ApiProperty({ type: RolloutCountsDto }) counts: RolloutCountsDto;
  @ApiProperty({ description: 'Targets settled (job ended or skipped), 0-100' })
  percentDone: number;
}

export class RolloutDto extends RolloutSummaryDto {
  @ApiProperty({ type: [RolloutClientDto], description: 'Every target, in request order' })
  clients: RolloutClientDto[];
}

export class RolloutListDto {
  @ApiProperty({ type: [RolloutSummaryDto], description: 'Newest first' })
  items: RolloutSummaryDto[];
}

export function toRolloutSummaryDto(rollout: Rollout): RolloutSummaryDto {
  const { request } = rollout;
  const { percentDone, ...counts } = progressOf(rollout);
  return {
    rolloutId: request.rolloutId,
    status: rollout.status,
    image: request.image,
    targetVersion: request.targetVersion,
    ...(request.imageDigest ? { imageDigest: request.imageDigest } : {}),
    batchSize: request.batchSize,
    maxFailures: request.maxFailures,
    startedAt: request.startedAt,
    ...(rollout.endedAt ? { endedAt: rollout.endedAt } : {}),
    ...(rollout.haltReason ? { haltReason: rollout.haltReason } : {}),
    counts,
    percentDone,
  };
}

export function toRolloutDto(rollout: Rollout): RolloutDto {
  return {
    ...toRolloutSummaryDto(rollout),
    clients: rollout.request.targets.map((clientId) => ({
      clientId,
      ...rollout.clients[clientId],
    })),
  };
}
