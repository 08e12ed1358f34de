import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { RolloutStreams } from '../rollout-streams';
import { GetRollout } from './get-rollout.query';
import { toRolloutDto, type RolloutDto } from './rollout.dto';

/** Folds the rollout stream: the progress is exactly what the stream says, no read model lag. */
@QueryHandler(GetRollout)
export class GetRolloutHandler implements IQueryHandler<GetRollout, RolloutDto> {
  constructor(private readonly rollouts: RolloutStreams) {}

  async execute({ tenantId, rolloutId }: GetRollout): Promise<RolloutDto> {
    const { state } = await this.rollouts.loadOfTenant(tenantId, rolloutId);
    return toRolloutDto(state);
  }
}
