import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import {
  decodeCursor,
  pageOf,
  toClientDto,
  type ClientDto,
  type PageDto,
} from '../../read-models/read-model.dto';
import { DomainError } from '../../shared/domain/domain-error';
import { clientsOfTenant } from './clients-query';
import { ListClients } from './list-clients.query';

/** Keyset paging by client id: stable under concurrent inserts, no OFFSET scans. */
@QueryHandler(ListClients)
export class ListClientsHandler implements IQueryHandler<ListClients, PageDto<ClientDto>> {
  constructor(private readonly dataSource: DataSource) {}

  async execute(query: ListClients): Promise<PageDto<ClientDto>> {
    const rows = clientsOfTenant(this.dataSource, query.tenantId, query.labels).limit(
      query.limit + 1,
    );
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
