import { Controller, Get, Param, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import { RolloutClientPageDto } from '../../read-models/rollout.dto';
import { RolloutIdParam } from '../rollout-id.param';
import { ListRolloutClients } from './list-rollout-clients.query';
import { ListRolloutClientsRequestDto } from './list-rollout-clients.request.dto';

@ApiTags('rollouts')
@ApiBearerAuth()
@Controller('api/v1/rollouts')
export class ListRolloutClientsHttpController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get(':id/clients')
  @ApiOkResponse({
    type: RolloutClientPageDto,
    description: "The rollout's targets in request order, a page at a time.",
  })
  @ApiNotFoundResponse({ description: 'No such rollout in your tenant.' })
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
