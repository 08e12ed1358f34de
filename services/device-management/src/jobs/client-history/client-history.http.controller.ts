import { Controller, Get, Param } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import { ClientIdParam } from '../../http/params';
import type { ClientHistoryDto } from './client-history.handler';
import { GetClientHistory } from './client-history.query';

@ApiTags('clients')
@ApiBearerAuth()
@Controller('api/v1/clients')
export class GetClientHistoryHttpController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get(':clientId/history')
  @ApiOkResponse({ description: '`{ client, events, jobs: [job with its events] }`' })
  @ApiNotFoundResponse({ description: 'No such client in your tenant.' })
  history(
    @Param() { clientId }: ClientIdParam,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ClientHistoryDto> {
    return this.queryBus.execute(new GetClientHistory(principal.tenantId, clientId));
  }
}
