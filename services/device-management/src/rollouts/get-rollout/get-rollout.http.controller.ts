import { Controller, Get, Param } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import { RolloutIdParam } from '../rollout-id.param';
import { GetRollout } from './get-rollout.query';
import { RolloutDto } from '../../read-models/rollout.dto';
import { ApiEndpoint } from '../../http/api-docs';

@ApiTags('rollouts')
@Controller('api/v1/rollouts')
export class GetRolloutHttpController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get(':id')
  @ApiEndpoint({
    summary: 'Get a rollout',
    description: 'The rollout with its progress per client.',
    access: 'read',
    errors: { 400: 'A failing field (`id`).', 404: 'No such rollout in your tenant.' },
  })
  @ApiOkResponse({ type: RolloutDto })
  get(
    @Param() { id }: RolloutIdParam,
    @CurrentPrincipal() principal: Principal,
  ): Promise<RolloutDto> {
    return this.queryBus.execute(new GetRollout(principal.tenantId, id));
  }
}
