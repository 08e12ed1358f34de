import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { decodeAuditCursor, encodeAuditCursor } from '../audit-cursor';
import { checkTimeRange } from '../audit-filter';
import { AuditTrail } from '../audit-trail';
import type { AuditEventPageDto } from './search-audit-events.request.dto';
import { SearchAuditEvents } from './search-audit-events.query';

@QueryHandler(SearchAuditEvents)
export class SearchAuditEventsHandler implements IQueryHandler<
  SearchAuditEvents,
  AuditEventPageDto
> {
  constructor(private readonly trail: AuditTrail) {}

  async execute({ filter, limit, cursor }: SearchAuditEvents): Promise<AuditEventPageDto> {
    checkTimeRange(filter.from, filter.to);
    const after = cursor === undefined ? undefined : decodeAuditCursor(cursor, filter.order);
    const page = await this.trail.page(await this.trail.queryOf(filter), after, limit);
    return {
      items: page.items,
      ...(page.next ? { nextCursor: encodeAuditCursor(filter.order, page.next) } : {}),
    };
  }
}
