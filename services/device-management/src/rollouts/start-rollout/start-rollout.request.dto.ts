import { idSchema } from '@opcfleet/contracts';
import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsInt,
  IsISO8601,
  IsNotEmptyObject,
  Max,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import {
  IsAlternativeTo,
  IsLabels,
  IsOmittable,
  MatchesSchema,
} from '../../http/schema-validators';
import { RequestConfigChangeRequestDto } from '../../jobs/config/request-config-change/request-config-change.request.dto';
import { RequestUpdateRequestDto } from '../../jobs/update/request-update/request-update.request.dto';
import { ROLLOUT_ID_EXAMPLE } from '../../read-models/rollout.dto';
import {
  FailureRateDto,
  MAX_ROLLOUT_PHASES,
  RolloutPhaseRequestDto,
  MaintenanceWindowDto,
  RolloutRetriesDto,
} from './rollout-phase.request.dto';

export const ROLLOUT_DEFAULTS = { batchSize: 10, maxFailures: 0 } as const;
/** As many targets as a rollout takes, listed or chosen by labels. */
export const MAX_ROLLOUT_TARGETS = 10_000;
/**
 * The largest legitimate rollout body: MAX_ROLLOUT_TARGETS client ids of the longest length
 * (128 characters), even pretty-printed, take 1.4 MB.
 */
export const ROLLOUT_BODY_LIMIT_BYTES = 2 * 1024 * 1024;

/** The targets of a rollout and how it goes: phases, limits, retries, window. */
export class RolloutPlanDto {
  @ApiProperty({
    example: ['press-07', 'press-08'],
    minItems: 1,
    maxItems: MAX_ROLLOUT_TARGETS,
    uniqueItems: true,
    description:
      'The clients, in the order their jobs are requested. Give either this or `labels`.',
  })
  @ValidateIf((body: RolloutPlanDto) => body.labels === undefined || body.clientIds !== undefined)
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_ROLLOUT_TARGETS)
  @ArrayUnique()
  @MatchesSchema(idSchema, { each: true })
  clientIds?: string[];

  @ApiPropertyOptional({
    example: { site: 'plant-7' },
    type: 'object',
    additionalProperties: { type: 'string' },
    description:
      'Instead of `clientIds`: every registered client that has all these labels (at least ' +
      'one) when the rollout starts (at most 10,000), in client id order. Clients labelled ' +
      'later are not added.',
  })
  @IsOmittable()
  @IsLabels()
  @IsNotEmptyObject(
    {},
    {
      message:
        'labels must name at least one label (an empty selector would choose every client of the tenant; list them in clientIds instead)',
    },
  )
  @IsAlternativeTo('clientIds')
  labels?: Record<string, string>;

  @ApiPropertyOptional({
    default: ROLLOUT_DEFAULTS.batchSize,
    example: 50,
    minimum: 1,
    maximum: 1000,
    description: 'At most this many jobs in flight at once.',
  })
  @IsOmittable()
  @IsInt()
  @Min(1)
  @Max(1000)
  batchSize?: number;

  @ApiPropertyOptional({
    default: ROLLOUT_DEFAULTS.maxFailures,
    example: 2,
    minimum: 0,
    maximum: MAX_ROLLOUT_TARGETS,
    description:
      'The rollout halts when more jobs than this failed, rolled back or timed out (an admin cancelling a job is no failure).',
  })
  @IsOmittable()
  @IsInt()
  @Min(0)
  @Max(MAX_ROLLOUT_TARGETS)
  maxFailures?: number;

  @ApiPropertyOptional({
    type: FailureRateDto,
    description: 'Halt when more than `percent` of the finished jobs of the rollout failed',
  })
  @IsOmittable()
  @ValidateNested()
  @Type(() => FailureRateDto)
  maxFailureRate?: FailureRateDto;

  @ApiPropertyOptional({
    type: RolloutRetriesDto,
    description:
      'A job that failed for a passing reason (registry unreachable, timed out) is tried again, ' +
      'with back-off, before it counts as failed',
  })
  @IsOmittable()
  @ValidateNested()
  @Type(() => RolloutRetriesDto)
  retries?: RolloutRetriesDto;

  @ApiPropertyOptional({
    type: MaintenanceWindowDto,
    description: 'Jobs start only inside these weekly hours; outside them the rollout waits',
  })
  @IsOmittable()
  @ValidateNested()
  @Type(() => MaintenanceWindowDto)
  window?: MaintenanceWindowDto;

  @ApiPropertyOptional({
    example: '2026-12-31T00:00:00Z',
    description:
      'With `labels`: clients registered with these labels until then join the rollout (its ' +
      'last phase), and it completes no earlier',
  })
  @IsOmittable()
  @IsISO8601({ strict: true })
  followUntil?: string;

  @ApiPropertyOptional({
    type: [RolloutPhaseRequestDto],
    maxItems: MAX_ROLLOUT_PHASES,
    example: [
      { percent: 1, requiresApproval: false, soakSeconds: 600 },
      { percent: 10, maxFailureRate: { percent: 5, minFinished: 10 } },
      { requiresApproval: true },
    ],
    description:
      'The targets in phases, in order (default: one phase of all). Each phase starts when the ' +
      'one before it ended within its limits, after its soak and, if asked, an approval.',
  })
  @IsOmittable()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_ROLLOUT_PHASES)
  @ValidateNested({ each: true })
  @Type(() => RolloutPhaseRequestDto)
  phases?: RolloutPhaseRequestDto[];
}

/** The update of one client (image, targetVersion, imageDigest?) for many, in waves. */
export class StartRolloutRequestDto extends IntersectionType(
  RequestUpdateRequestDto,
  RolloutPlanDto,
) {}

/** A configuration (version, settings) for many clients, in waves: POST /rollouts/config. */
export class StartConfigRolloutRequestDto extends IntersectionType(
  RequestConfigChangeRequestDto,
  RolloutPlanDto,
) {}

export class RolloutAcceptedResponseDto {
  @ApiProperty({ format: 'uuid', example: ROLLOUT_ID_EXAMPLE }) rolloutId: string;
}
