import { Controller, Get, Param, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import { JobIdParam } from '../../http/params';
import { JobDto } from '../../read-models/read-model.dto';
import { GetJob } from './get-job.query';
import { GetJobRequestDto } from './get-job.request.dto';

@ApiTags('jobs')
@ApiBearerAuth()
@Controller('api/v1/jobs')
export class GetJobHttpController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get(':id')
  @ApiOkResponse({ type: JobDto })
  @ApiNotFoundResponse({ description: 'No such job in your tenant (or not yet at `asOf`).' })
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
