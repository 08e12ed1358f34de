import { Controller, Get, Param } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import { JobIdParam } from '../../http/params';
import { JobEventDto } from '../job-history';
import { GetJobEvents } from './job-events.query';

@ApiTags('jobs')
@ApiBearerAuth()
@Controller('api/v1/jobs')
export class GetJobEventsHttpController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get(':id/events')
  @ApiOkResponse({
    type: JobEventDto,
    isArray: true,
    description: 'The raw event history, oldest first',
  })
  @ApiNotFoundResponse({ description: 'No such job in your tenant.' })
  events(
    @Param() { id }: JobIdParam,
    @CurrentPrincipal() principal: Principal,
  ): Promise<JobEventDto[]> {
    return this.queryBus.execute(new GetJobEvents(principal.tenantId, id));
  }
}
