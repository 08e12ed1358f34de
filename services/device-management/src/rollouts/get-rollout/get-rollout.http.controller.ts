import { Controller, Get, Param } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import { RolloutIdParam } from '../rollout-id.param';
import { GetRollout } from './get-rollout.query';
import { RolloutDto } from '../../read-models/rollout.dto';

@ApiTags('rollouts')
@ApiBearerAuth()
@Controller('api/v1/rollouts')
export class GetRolloutHttpController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get(':id')
  @ApiOkResponse({ type: RolloutDto })
  @ApiNotFoundResponse({ description: 'No such rollout in your tenant.' })
  get(
    @Param() { id }: RolloutIdParam,
    @CurrentPrincipal() principal: Principal,
  ): Promise<RolloutDto> {
    return this.queryBus.execute(new GetRollout(principal.tenantId, id));
  }
}
