import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import type { RolloutListDto } from '../../read-models/rollout.dto';
import { rolloutsPage } from '../rollout-read-model';
import { ListRollouts } from './list-rollouts.query';

@QueryHandler(ListRollouts)
export class ListRolloutsHandler implements IQueryHandler<ListRollouts, RolloutListDto> {
  constructor(private readonly dataSource: DataSource) {}

  execute({ request }: ListRollouts): Promise<RolloutListDto> {
    return rolloutsPage(this.dataSource, request);
  }
}
