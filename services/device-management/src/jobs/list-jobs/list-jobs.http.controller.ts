import { Controller, Get, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import { JobDto, type PageDto } from '../../read-models/read-model.dto';
import { ListJobs } from './list-jobs.query';
import { ListJobsRequestDto } from './list-jobs.request.dto';
import { ApiEndpoint, EXAMPLES, pageResponse } from '../../http/api-docs';

@ApiTags('jobs')
@Controller('api/v1/jobs')
export class ListJobsHttpController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get()
  @ApiEndpoint({
    summary: 'List jobs',
    description:
      "The tenant's jobs, newest first, filtered by client, kind and status, paged by `cursor`.",
    access: 'read',
    errors: { 400: 'Every failing query field.' },
  })
  @ApiOkResponse(pageResponse('A page of jobs, newest first', JobDto, EXAMPLES.job))
  list(
    @Query() query: ListJobsRequestDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<PageDto<JobDto>> {
    return this.queryBus.execute(
      new ListJobs({
        tenantId: principal.tenantId,
        clientId: query.clientId,
        kind: query.kind,
        status: query.status,
        limit: query.limit ?? 50,
        cursor: query.cursor,
      }),
    );
  }
}
