import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import { IsOmittable } from './schema-validators';

/** The body of an action an admin takes on a job or a rollout: why, recorded with it. */
export class ReasonRequestDto {
  @ApiPropertyOptional({ example: 'wrong image tag', maxLength: 500 })
  @IsOmittable()
  @IsString()
  @MaxLength(500)
  reason?: string;
}
