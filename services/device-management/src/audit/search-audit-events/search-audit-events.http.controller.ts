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
  @ApiOkResponse({
    type: AuditEventPageDto,
    description: 'A page of events',
    example: {
      items: [
        {
          eventId: '5b1f0f57-1c1e-4c55-a0a4-0c3b5f0e2d19',
          type: 'UpdateRequested',
          recordedAt: '2026-11-23T10:00:05.123Z',
          subjectKind: 'update-job',
          subjectId: '0b0f3c52-5cf1-4a3e-9a51-2f7d0f5c0a11',
          revision: 0,
          actor: 'alice@example.com',
          correlationId: '3e0c0c8e-8f67-4a43-a2d5-6f4f3f1e0b77',
          data: { clientId: 'press-07', targetVersion: '2.1.0' },
        },
      ],
      nextCursor: 'eyJ2IjoxLCJvcmRlciI6Im5ld2VzdCIsInBvc2l0aW9uIjoiNzQxOjEyMDMifQ',
    },
  })
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
