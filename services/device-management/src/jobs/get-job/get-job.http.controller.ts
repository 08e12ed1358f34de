import { Controller, Get, Param, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import { JobIdParam } from '../../http/params';
import { JobDto } from '../../read-models/read-model.dto';
import { GetJob } from './get-job.query';
import { GetJobRequestDto } from './get-job.request.dto';
import { ApiEndpoint, EXAMPLES } from '../../http/api-docs';

@ApiTags('jobs')
@Controller('api/v1/jobs')
export class GetJobHttpController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get(':id')
  @ApiEndpoint({
    summary: 'Get a job',
    description:
      'The job as its read model shows it; with `asOf`, as its events made it at that time.',
    access: 'read',
    errors: {
      400: 'A failing field (`id`, `asOf`).',
      404: 'No such job in your tenant (or not yet at `asOf`).',
    },
  })
  @ApiOkResponse({
    type: JobDto,
    examples: {
      inProgress: { summary: 'An update being pulled', value: EXAMPLES.job },
      rolledBack: {
        summary: 'A rolled-back update with the evidence the device sent',
        value: EXAMPLES.rolledBackJob,
      },
    },
  })
  get(
    @Param() { id }: JobIdParam,
    @Query() { asOf }: GetJobRequestDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<JobDto> {
    return this.queryBus.execute(
      new GetJob(principal.tenantId, id, asOf ? new Date(asOf) : undefined),
    );
  }
}
