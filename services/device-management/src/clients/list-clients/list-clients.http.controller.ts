import { Controller, Get, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import { ClientDto, type PageDto } from '../../read-models/read-model.dto';
import { ListClients } from './list-clients.query';
import { ListClientsRequestDto } from './list-clients.request.dto';
import { ApiEndpoint, EXAMPLES, pageResponse } from '../../http/api-docs';

@ApiTags('clients')
@Controller('api/v1/clients')
export class ListClientsHttpController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get()
  @ApiEndpoint({
    summary: 'List clients',
    description: "The tenant's clients, filtered by status and labels, paged by `cursor`.",
    access: 'read',
    errors: { 400: 'Every failing query field.' },
  })
  @ApiOkResponse(pageResponse('A page of clients, by id', ClientDto, EXAMPLES.client))
  list(
    @Query() query: ListClientsRequestDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<PageDto<ClientDto>> {
    const labels = Object.fromEntries(
      (query.label ?? []).map((pair) => pair.split('=', 2) as [string, string]),
    );
    return this.queryBus.execute(
      new ListClients({
        tenantId: principal.tenantId,
        labels,
        status: query.status,
        version: query.version,
        limit: query.limit ?? 50,
        cursor: query.cursor,
      }),
    );
  }
}
