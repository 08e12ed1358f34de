import { Module } from '@nestjs/common';
import { AuditTrail } from './audit-trail';
import { ExportAuditEventsHttpController } from './export-audit-events/export-audit-events.http.controller';
import { SearchAuditEventsHandler } from './search-audit-events/search-audit-events.handler';
import { SearchAuditEventsHttpController } from './search-audit-events/search-audit-events.http.controller';

/** The tenant-wide audit trail: search and export of every event, for admins and auditors. */
@Module({
  controllers: [SearchAuditEventsHttpController, ExportAuditEventsHttpController],
  providers: [AuditTrail, SearchAuditEventsHandler],
})
export class AuditModule {}
