import { Controller, Get, Param } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import { JobIdParam } from '../../http/params';
import { JobEventDto } from '../job-history';
import { GetJobEvents } from './job-events.query';
import { ApiEndpoint, EXAMPLES } from '../../http/api-docs';

@ApiTags('jobs')
@Controller('api/v1/jobs')
export class GetJobEventsHttpController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get(':id/events')
  @ApiEndpoint({
    summary: "A job's events",
    description:
      'The raw event history of the job, oldest first, with who caused each event (`metadata.actor`).',
    access: 'read',
    errors: { 400: 'A failing field (`id`).', 404: 'No such job in your tenant.' },
  })
  @ApiOkResponse({
    type: JobEventDto,
    isArray: true,
    example: [
      {
        ...EXAMPLES.event,
        type: 'UpdateRequested',
        data: { jobId: EXAMPLES.job.jobId, clientId: 'press-07' },
      },
    ],
    description: 'The raw event history, oldest first',
  })
  events(
    @Param() { id }: JobIdParam,
    @CurrentPrincipal() principal: Principal,
  ): Promise<JobEventDto[]> {
    return this.queryBus.execute(new GetJobEvents(principal.tenantId, id));
  }
}
