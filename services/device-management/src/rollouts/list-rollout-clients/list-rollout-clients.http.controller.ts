import { Controller, Get, Param, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import { RolloutClientPageDto } from '../../read-models/rollout.dto';
import { ApiEndpoint } from '../../http/api-docs';
import { RolloutIdParam } from '../rollout-id.param';
import { ListRolloutClients } from './list-rollout-clients.query';
import { ListRolloutClientsRequestDto } from './list-rollout-clients.request.dto';

@ApiTags('rollouts')
@Controller('api/v1/rollouts')
export class ListRolloutClientsHttpController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get(':id/clients')
  @ApiEndpoint({
    summary: "A rollout's clients",
    description:
      "The rollout's targets in request order, each with its state and job, a page at a time, filtered by state.",
    access: 'read',
    errors: { 400: 'Every failing field.', 404: 'No such rollout in your tenant.' },
  })
  @ApiOkResponse({
    type: RolloutClientPageDto,
    description: "The rollout's targets in request order, a page at a time.",
  })
  list(
    @Param() { id }: RolloutIdParam,
    @Query() query: ListRolloutClientsRequestDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<RolloutClientPageDto> {
    return this.queryBus.execute(
      new ListRolloutClients({
        tenantId: principal.tenantId,
        rolloutId: id,
        limit: query.limit ?? 50,
        cursor: query.cursor,
        state: query.state,
      }),
    );
  }
}
