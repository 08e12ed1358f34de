import { idSchema } from '@opcfleet/contracts';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { PageRequestDto } from '../../clients/list-clients/list-clients.request.dto';
import { IsOmittable, MatchesSchema } from '../../http/schema-validators';
import { FINAL_CONFIG_STATUSES } from '../config/domain/config-job.decider';
import { FINAL_UPDATE_STATUSES } from '../update/domain/update-job.decider';

export const JOB_STATUSES = [
  ...new Set([
    'Requested',
    'Dispatched',
    'InProgress',
    ...FINAL_UPDATE_STATUSES,
    ...FINAL_CONFIG_STATUSES,
  ]),
];

export class ListJobsRequestDto extends PageRequestDto {
  @ApiPropertyOptional({ example: 'press-07' })
  @IsOmittable()
  @MatchesSchema(idSchema)
  clientId?: string;

  @ApiPropertyOptional({ enum: ['update', 'config'] })
  @IsOmittable()
  @IsIn(['update', 'config'])
  kind?: 'update' | 'config';

  @ApiPropertyOptional({ enum: JOB_STATUSES })
  @IsOmittable()
  @IsIn(JOB_STATUSES)
  status?: string;
}
