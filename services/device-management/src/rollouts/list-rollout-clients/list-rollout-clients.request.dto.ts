import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { PageRequestDto } from '../../clients/list-clients/list-clients.request.dto';
import { IsOmittable } from '../../http/schema-validators';
import { ROLLOUT_CLIENT_STATES, type RolloutClientState } from '../../read-models/rollout.dto';

export class ListRolloutClientsRequestDto extends PageRequestDto {
  @ApiPropertyOptional({ enum: ROLLOUT_CLIENT_STATES, example: 'failed' })
  @IsOmittable()
  @IsIn(ROLLOUT_CLIENT_STATES)
  state?: RolloutClientState;
}
