import { Controller, Get, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import type { ClientDto, PageDto } from '../../read-models/read-model.dto';
import { ListClients } from './list-clients.query';
import { ListClientsRequestDto } from './list-clients.request.dto';

@ApiTags('clients')
@ApiBearerAuth()
@Controller('api/v1/clients')
export class ListClientsHttpController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get()
  @ApiOkResponse({ description: '`{ items: Client[], nextCursor? }`' })
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
