import { Controller, Get, Param } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import { ClientIdParam } from '../../http/params';
import type { ClientHistoryDto } from './client-history.handler';
import { GetClientHistory } from './client-history.query';
import { ApiEndpoint, EXAMPLES, jsonResponse } from '../../http/api-docs';

@ApiTags('clients')
@Controller('api/v1/clients')
export class GetClientHistoryHttpController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get(':clientId/history')
  @ApiEndpoint({
    summary: "A client's history",
    description: "The client's own events and each of its jobs with their events, oldest first.",
    access: 'read',
    errors: { 400: 'A failing field (`clientId`).', 404: 'No such client in your tenant.' },
  })
  @ApiOkResponse(
    jsonResponse(
      'The client, its own events, and each of its jobs (newest first) with its events',
      {
        client: EXAMPLES.client,
        events: [EXAMPLES.event],
        jobs: [{ ...EXAMPLES.job, events: [{ ...EXAMPLES.event, type: 'UpdateRequested' }] }],
      },
    ),
  )
  history(
    @Param() { clientId }: ClientIdParam,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ClientHistoryDto> {
    return this.queryBus.execute(new GetClientHistory(principal.tenantId, clientId));
  }
}
