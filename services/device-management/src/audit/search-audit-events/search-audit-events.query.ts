import type { AuditFilter } from '../audit-filter';

export class SearchAuditEvents {
  constructor(
    readonly filter: AuditFilter,
    readonly limit: number,
    readonly cursor: string | undefined,
  ) {}
}
