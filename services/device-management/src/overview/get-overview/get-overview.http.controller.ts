import { Controller, Get } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import { GetOverview } from './get-overview.query';
import { OverviewDto } from './overview.dto';
import { ApiEndpoint } from '../../http/api-docs';

const FAILURE_WINDOW_MS = 24 * 60 * 60 * 1000;

@ApiTags('overview')
@Controller('api/v1/overview')
export class GetOverviewHttpController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get()
  @ApiEndpoint({
    summary: 'The fleet in numbers',
    description:
      "Clients by status and version, offline clients, jobs in flight, and the failures of the last 24 hours, for the console's first page.",
    access: 'read',
  })
  @ApiOkResponse({
    type: OverviewDto,
    description:
      'Clients by status and version, offline clients, jobs in flight, failures of the last 24 h',
  })
  get(@CurrentPrincipal() principal: Principal): Promise<OverviewDto> {
    return this.queryBus.execute(
      new GetOverview(principal.tenantId, new Date(Date.now() - FAILURE_WINDOW_MS)),
    );
  }
}
