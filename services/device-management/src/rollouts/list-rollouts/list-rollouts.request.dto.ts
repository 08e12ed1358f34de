import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { PageRequestDto } from '../../clients/list-clients/list-clients.request.dto';
import { IsOmittable } from '../../http/schema-validators';
import { ROLLOUT_STATUSES } from '../../read-models/rollout.dto';
import type { RolloutStatus } from '../domain/rollout.decider';

export class ListRolloutsRequestDto extends PageRequestDto {
  @ApiPropertyOptional({ enum: ROLLOUT_STATUSES, example: 'Running' })
  @IsOmittable()
  @IsIn(ROLLOUT_STATUSES)
  status?: RolloutStatus;
}
