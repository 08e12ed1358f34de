import { idSchema } from '@opcfleet/contracts';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { PageRequestDto } from '../../clients/list-clients/list-clients.request.dto';
import { IsOmittable, MatchesSchema } from '../../http/schema-validators';
import { JOB_KINDS, type JobKind } from '../../shared/domain/domain-event';
import { JOB_KIND_DEFINITIONS } from '../job-kinds';

export const JOB_STATUSES = [
  ...new Set([
    'Requested',
    'Dispatched',
    'InProgress',
    ...JOB_KIND_DEFINITIONS.flatMap((kind) => kind.rules.finalStatuses),
  ]),
];

export class ListJobsRequestDto extends PageRequestDto {
  @ApiPropertyOptional({ example: 'press-07' })
  @IsOmittable()
  @MatchesSchema(idSchema)
  clientId?: string;

  @ApiPropertyOptional({ enum: JOB_KINDS })
  @IsOmittable()
  @IsIn(JOB_KINDS)
  kind?: JobKind;

  @ApiPropertyOptional({ enum: JOB_STATUSES })
  @IsOmittable()
  @IsIn(JOB_STATUSES)
  status?: string;
}
