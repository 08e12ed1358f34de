import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import type { RolloutDto } from '../../read-models/rollout.dto';
import { rolloutClientsPage, rolloutOfTenant } from '../rollout-read-model';
import { GetRollout } from './get-rollout.query';

/** How many targets the detail carries; the rest are a page away. */
export const ROLLOUT_CLIENTS_IN_DETAIL = 100;

/** The rollout's summary and its first targets, from the read model (committed with each append). */
@QueryHandler(GetRollout)
export class GetRolloutHandler implements IQueryHandler<GetRollout, RolloutDto> {
  constructor(private readonly dataSource: DataSource) {}

  async execute({ tenantId, rolloutId }: GetRollout): Promise<RolloutDto> {
    const summary = await rolloutOfTenant(this.dataSource, tenantId, rolloutId);
    const { items, nextCursor } = await rolloutClientsPage(this.dataSource, {
      tenantId,
      rolloutId,
      limit: ROLLOUT_CLIENTS_IN_DETAIL,
    });
    return { ...summary, clients: items, ...(nextCursor ? { clientsNextCursor: nextCursor } : {}) };
  }
}
