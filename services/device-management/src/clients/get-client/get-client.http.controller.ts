import { Controller, Get, Param } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import { ClientIdParam } from '../../http/params';
import { ClientDto } from '../../read-models/read-model.dto';
import { GetClient } from './get-client.query';

@ApiTags('clients')
@ApiBearerAuth()
@Controller('api/v1/clients')
export class GetClientHttpController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get(':clientId')
  @ApiOkResponse({ type: ClientDto })
  @ApiNotFoundResponse({ description: 'No such client in your tenant.' })
  get(
    @Param() { clientId }: ClientIdParam,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ClientDto> {
    return this.queryBus.execute(new GetClient(principal.tenantId, clientId));
  }
}
