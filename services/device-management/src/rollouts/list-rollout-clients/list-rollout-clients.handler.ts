import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import type { RolloutClientPageDto } from '../../read-models/rollout.dto';
import { rolloutClientsPage, rolloutOfTenant } from '../rollout-read-model';
import { ListRolloutClients } from './list-rollout-clients.query';

@QueryHandler(ListRolloutClients)
export class ListRolloutClientsHandler implements IQueryHandler<
  ListRolloutClients,
  RolloutClientPageDto
> {
  constructor(private readonly dataSource: DataSource) {}

  async execute({ request }: ListRolloutClients): Promise<RolloutClientPageDto> {
    // An unknown rollout is a 404, not an empty page.
    await rolloutOfTenant(this.dataSource, request.tenantId, request.rolloutId);
    return rolloutClientsPage(this.dataSource, request);
  }
}
