import { Controller, Get, Param } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import { ApiEndpoint, EXAMPLES } from '../../http/api-docs';
import { JobEventDto } from '../../jobs/job-history';
import { RolloutIdParam } from '../rollout-id.param';
import { GetRolloutEvents } from './rollout-events.query';

@ApiTags('rollouts')
@Controller('api/v1/rollouts')
export class GetRolloutEventsHttpController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get(':id/events')
  @ApiEndpoint({
    summary: "A rollout's events",
    description:
      'The raw event history of the rollout stream, oldest first: its start, each job it ' +
      'opened or client it skipped, each job that finished, and how it ended, each with who ' +
      'caused it (`metadata.actor`). The events of its jobs: GET /api/v1/audit/events?rolloutId=.',
    access: 'read',
    errors: { 400: 'A failing field (`id`).', 404: 'No such rollout in your tenant.' },
  })
  @ApiOkResponse({
    type: JobEventDto,
    isArray: true,
    description: 'The events, oldest first',
    example: [
      {
        ...EXAMPLES.event,
        type: 'RolloutStarted',
        data: { rolloutId: '7c9e6679-7425-40de-944b-e07fc1f90ae7', targets: ['press-07'] },
      },
    ],
  })
  events(
    @Param() { id }: RolloutIdParam,
    @CurrentPrincipal() principal: Principal,
  ): Promise<JobEventDto[]> {
    return this.queryBus.execute(new GetRolloutEvents(principal.tenantId, id));
  }
}
