import { Controller, Get, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import { RolloutListDto } from '../../read-models/rollout.dto';
import { ListRollouts } from './list-rollouts.query';
import { ListRolloutsRequestDto } from './list-rollouts.request.dto';

@ApiTags('rollouts')
@ApiBearerAuth()
@Controller('api/v1/rollouts')
export class ListRolloutsHttpController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get()
  @ApiOkResponse({
    type: RolloutListDto,
    description: 'The rollouts of your tenant, newest first, without per-client entries.',
  })
  list(
    @Query() query: ListRolloutsRequestDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<RolloutListDto> {
    return this.queryBus.execute(
      new ListRollouts({
        tenantId: principal.tenantId,
        limit: query.limit ?? 50,
        cursor: query.cursor,
        status: query.status,
      }),
    );
  }
}
