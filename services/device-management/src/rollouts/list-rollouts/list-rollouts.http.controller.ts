import { Controller, Get } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import { RolloutListDto } from '../get-rollout/rollout.dto';
import { ListRollouts } from './list-rollouts.query';
import { ApiEndpoint } from '../../http/api-docs';

@ApiTags('rollouts')
@Controller('api/v1/rollouts')
export class ListRolloutsHttpController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get()
  @ApiEndpoint({
    summary: 'List rollouts',
    description: 'The rollouts of your tenant, without per-client entries.',
    access: 'read',
  })
  @ApiOkResponse({
    type: RolloutListDto,
    description: 'The rollouts of your tenant, without per-client entries.',
  })
  list(@CurrentPrincipal() principal: Principal): Promise<RolloutListDto> {
    return this.queryBus.execute(new ListRollouts(principal.tenantId));
  }
}
