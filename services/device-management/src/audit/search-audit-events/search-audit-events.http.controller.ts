import { Controller, Get, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import { ApiEndpoint } from '../../http/api-docs';
import { auditFilterOf } from '../audit-filter.request.dto';
import { SearchAuditEvents } from './search-audit-events.query';
import { AuditEventPageDto, SearchAuditEventsRequestDto } from './search-audit-events.request.dto';

const DEFAULT_PAGE = 100;

@ApiTags('audit')
@Controller('api/v1/audit/events')
export class SearchAuditEventsHttpController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get()
  @ApiEndpoint({
    summary: 'Search the audit trail',
    description:
      'Every event of your tenant (clients, jobs of every kind, rollouts), straight from the ' +
      'event store, filtered by actor, client, job, rollout, event type and time range (all ' +
      'must hold), newest first or oldest first, a page at a time with an opaque `cursor`.',
    access: 'audit',
    errors: {
      400: 'Every failing query field: an unknown event type, a date that is not ISO-8601, an empty time range, a cursor this API did not return (or of the other order), a limit over 500.',
    },
  })
  @ApiOkResponse({ type: AuditEventPageDto, description: 'A page of events' })
  search(
    @Query() query: SearchAuditEventsRequestDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<AuditEventPageDto> {
    return this.queryBus.execute(
      new SearchAuditEvents(
        auditFilterOf(principal.tenantId, query),
        query.limit ?? DEFAULT_PAGE,
        query.cursor,
      ),
    );
  }
}
