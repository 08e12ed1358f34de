import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsString,
  Matches,
  Max,
  Min,
  ValidateNested,
  ValidatorConstraint,
  Validate,
  type ValidatorConstraintInterface,
} from 'class-validator';
import { isTimeZone, WEEKDAYS, type Weekday } from '../domain/maintenance-window';
import { IsAlternativeTo, IsOmittable, LABEL } from '../../http/schema-validators';

/** A week: the longest soak between two phases. */
export const MAX_SOAK_SECONDS = 7 * 24 * 3600;
export const MAX_ROLLOUT_PHASES = 10;

export class FailureRateDto {
  @ApiProperty({ minimum: 0, maximum: 100, example: 5 })
  @IsNumber()
  @Min(0)
  @Max(100)
  percent: number;

  @ApiProperty({
    minimum: 1,
    example: 20,
    description: 'The rate is judged once at least this many jobs finished',
  })
  @IsInt()
  @Min(1)
  @Max(10_000)
  minFinished: number;
}

export class RolloutPhaseRequestDto {
  @ApiPropertyOptional({
    minimum: 1,
    example: 10,
    description: 'Clients in this phase. Give this or `percent`; the last phase takes the rest.',
  })
  @IsOmittable()
  @IsInt()
  @Min(1)
  @Max(10_000)
  count?: number;

  @ApiPropertyOptional({
    minimum: 0.01,
    maximum: 100,
    example: 1,
    description: 'Share of the targets in this phase, rounded up to a whole client',
  })
  @IsOmittable()
  @IsNumber()
  @Min(0.01)
  @Max(100)
  @IsAlternativeTo('count')
  percent?: number;

  @ApiPropertyOptional({
    minimum: 1,
    maximum: 1000,
    example: 50,
    description: "Default: the rollout's",
  })
  @IsOmittable()
  @IsInt()
  @Min(1)
  @Max(1000)
  batchSize?: number;

  @ApiPropertyOptional({
    minimum: 0,
    maximum: MAX_SOAK_SECONDS,
    default: 0,
    example: 600,
    description: 'Wait this long after the phase ends before the next one starts',
  })
  @IsOmittable()
  @IsInt()
  @Min(0)
  @Max(MAX_SOAK_SECONDS)
  soakSeconds?: number;

  @ApiPropertyOptional({
    default: false,
    example: true,
    description: 'An admin must approve (POST /rollouts/{id}/approve) before its first job',
  })
  @IsOmittable()
  @IsBoolean()
  requiresApproval?: boolean;

  @ApiPropertyOptional({
    minimum: 0,
    example: 0,
    description: 'Halt when more jobs of this phase failed',
  })
  @IsOmittable()
  @IsInt()
  @Min(0)
  @Max(10_000)
  maxFailures?: number;

  @ApiPropertyOptional({
    type: FailureRateDto,
    description: 'Halt when more than `percent` of the finished jobs of this phase failed',
  })
  @IsOmittable()
  @ValidateNested()
  @Type(() => FailureRateDto)
  maxFailureRate?: FailureRateDto;
}

export class RolloutRetriesDto {
  @ApiProperty({ minimum: 0, maximum: 5, example: 2, description: 'Retries per client at most' })
  @IsInt()
  @Min(0)
  @Max(5)
  max: number;

  @ApiProperty({
    minimum: 1,
    maximum: 3600,
    example: 60,
    description: 'Wait before the first retry; each next one waits twice as long',
  })
  @IsInt()
  @Min(1)
  @Max(3600)
  backoffSeconds: number;
}

@ValidatorConstraint({ name: 'isTimeZone' })
class TimeZoneConstraint implements ValidatorConstraintInterface {
  validate = (value: unknown) => typeof value === 'string' && isTimeZone(value);
  defaultMessage = () => 'timeZone must be an IANA time zone such as Europe/Berlin';
}

const HH_MM = /^([01][0-9]|2[0-3]):[0-5][0-9]$/;

export class MaintenanceWindowDto {
  @ApiProperty({
    example: 'Europe/Berlin',
    description: 'IANA time zone of the hours (of every target, unless `timeZoneLabel` says)',
  })
  @IsString()
  @Validate(TimeZoneConstraint)
  timeZone: string;

  @ApiPropertyOptional({
    example: 'tz',
    description:
      'A client label holding the client’s own IANA time zone, with `.` for `/` (labels hold ' +
      'no `/`): `tz: Europe.Berlin`. A target with it gets its jobs inside these hours in its ' +
      'zone; a target without it, or with no known zone in it, in `timeZone`. Read when the ' +
      'rollout starts, and when a followed client joins.',
  })
  @IsOmittable()
  @Matches(LABEL, {
    message: 'timeZoneLabel must be a label name: 1-63 letters, digits, ".", "_" or "-"',
  })
  timeZoneLabel?: string;

  @ApiProperty({ enum: WEEKDAYS, isArray: true, example: ['mon', 'tue', 'wed', 'thu', 'fri'] })
  @IsIn(WEEKDAYS, { each: true })
  @ArrayMinSize(1)
  @ArrayMaxSize(7)
  @ArrayUnique()
  days: Weekday[];

  @ApiProperty({ example: '22:00', description: 'Local time the window opens (HH:MM)' })
  @Matches(HH_MM, { message: 'start must be HH:MM' })
  start: string;

  @ApiProperty({
    example: '04:00',
    description: 'Local time it closes (HH:MM); at or before `start`: the next day',
  })
  @Matches(HH_MM, { message: 'end must be HH:MM' })
  end: string;
}
