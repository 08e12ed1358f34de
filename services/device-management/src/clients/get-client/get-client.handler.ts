import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { ClientView } from '../../read-models/read-model.entities';
import { toClientDto, type ClientDto } from '../../read-models/read-model.dto';
import { notFound } from '../../shared/domain/domain-error';
import { GetClient } from './get-client.query';

@QueryHandler(GetClient)
export class GetClientHandler implements IQueryHandler<GetClient, ClientDto> {
  constructor(private readonly dataSource: DataSource) {}

  async execute({ tenantId, clientId }: GetClient): Promise<ClientDto> {
    const row = await this.dataSource.getRepository(ClientView).findOneBy({ tenantId, clientId });
    if (!row) throw notFound('client', clientId);
    return toClientDto(row);
  }
}
