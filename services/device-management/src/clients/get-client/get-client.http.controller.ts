import { Controller, Get, Param } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import { ClientIdParam } from '../../http/params';
import { ClientDto } from '../../read-models/read-model.dto';
import { GetClient } from './get-client.query';
import { ApiEndpoint, EXAMPLES } from '../../http/api-docs';

@ApiTags('clients')
@Controller('api/v1/clients')
export class GetClientHttpController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get(':clientId')
  @ApiEndpoint({
    summary: 'Get a client',
    description: 'The client as its read model shows it: status, versions, presence, labels.',
    access: 'read',
    errors: { 400: 'A failing field (`clientId`).', 404: 'No such client in your tenant.' },
  })
  @ApiOkResponse({ type: ClientDto, example: EXAMPLES.client })
  get(
    @Param() { clientId }: ClientIdParam,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ClientDto> {
    return this.queryBus.execute(new GetClient(principal.tenantId, clientId));
  }
}
