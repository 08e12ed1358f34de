import { Inject, Injectable } from '@nestjs/common';
import {
  InvalidEventStoreInputError,
  type EventQuery,
  type EventStore,
} from '@opcfleet/event-store';
import { DataSource } from 'typeorm';
import { EVENT_STORE } from '../event-sourcing/event-store.token';
import { JobView } from '../read-models/read-model.entities';
import { jobStream } from '../shared/domain/stream-names';
import { invalidAuditCursor } from './audit-cursor';
import { toAuditEventDto, type AuditEventDto } from './audit-event.dto';
import { auditQuery, type AuditFilter } from './audit-filter';

export interface AuditPage {
  items: AuditEventDto[];
  /** The store's position after the page's last event; undefined on the last page. */
  next: string | undefined;
}

/** The tenant's events, searched in the event store through its port (queryEvents). */
@Injectable()
export class AuditTrail {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly dataSource: DataSource,
  ) {}

  /** The event-store query of a filter, with the streams of the client's jobs looked up. */
  async queryOf(filter: AuditFilter): Promise<Omit<EventQuery, 'after' | 'maxCount'>> {
    if (filter.clientId === undefined) return auditQuery(filter);
    const jobs = await this.dataSource.getRepository(JobView).find({
      select: { jobId: true, kind: true },
      where: { tenantId: filter.tenantId, clientId: filter.clientId },
    });
    return auditQuery(
      filter,
      jobs.map((job) => jobStream(job.kind, filter.tenantId, job.jobId)),
    );
  }

  /** One page after `after` (a position this API handed out, inside a cursor). */
  async page(
    query: Omit<EventQuery, 'after' | 'maxCount'>,
    after: string | undefined,
    maxCount: number,
  ): Promise<AuditPage> {
    try {
      const { events, next } = await this.store.queryEvents({ ...query, after, maxCount });
      return { items: events.flatMap((event) => toAuditEventDto(event) ?? []), next };
    } catch (error) {
      // Every other part of the query was checked: only the cursor's position can be refused.
      if (error instanceof InvalidEventStoreInputError && after !== undefined) {
        throw invalidAuditCursor('cursor is not one this API returned');
      }
      throw error;
    }
  }

  /**
   * Every page of a query, read only when the one before has been taken: a consumer that waits
   * (a slow HTTP client) holds no more than one page, and PostgreSQL is read no faster than it.
   */
  async *pages(
    query: Omit<EventQuery, 'after' | 'maxCount'>,
    pageSize: number,
  ): AsyncGenerator<AuditEventDto[]> {
    let after: string | undefined;
    do {
      const page = await this.page(query, after, pageSize);
      if (page.items.length > 0) yield page.items;
      after = page.next;
    } while (after !== undefined);
  }
}
