import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { ClientView } from '../../read-models/read-model.entities';
import {
  decodeCursor,
  pageOf,
  toClientDto,
  type ClientDto,
  type PageDto,
} from '../../read-models/read-model.dto';
import { DomainError } from '../../shared/domain/domain-error';
import { ListClients } from './list-clients.query';

/** Keyset paging by client id: stable under concurrent inserts, no OFFSET scans. */
@QueryHandler(ListClients)
export class ListClientsHandler implements IQueryHandler<ListClients, PageDto<ClientDto>> {
  constructor(private readonly dataSource: DataSource) {}

  async execute(query: ListClients): Promise<PageDto<ClientDto>> {
    const rows = this.dataSource
      .getRepository(ClientView)
      .createQueryBuilder('c')
      .where('c.tenant_id = :tenantId', { tenantId: query.tenantId })
      .orderBy('c.client_id', 'ASC')
      .limit(query.limit + 1);
    if (Object.keys(query.labels).length > 0) {
      rows.andWhere('c.labels @> :labels::jsonb', { labels: JSON.stringify(query.labels) });
    }
    if (query.status) rows.andWhere('c.status = :status', { status: query.status });
    if (query.version) rows.andWhere('c.reported_version = :version', { version: query.version });
    if (query.cursor) {
      const key = decodeCursor(query.cursor, 1);
      if (!key) throw invalidCursor();
      rows.andWhere('c.client_id > :after', { after: key[0] });
    }
    return pageOf(await rows.getMany(), query.limit, toClientDto, (row) => [row.clientId]);
  }
}

export const invalidCursor = () =>
  new DomainError('invalid_input', 'cursor is not one this API returned', {
    fieldErrors: [{ path: 'cursor', message: 'cursor is not one this API returned' }],
  });
