import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { EventStore } from '@opcfleet/event-store';
import { EVENT_STORE } from '../../event-sourcing/event-store.token';
import { tenantRolloutsPrefix } from '../../shared/domain/stream-names';
import { evolveRollout, type Rollout, type RolloutState } from '../domain/rollout.decider';
import type { RolloutEvent } from '../domain/rollout.events';
import { toRolloutSummaryDto, type RolloutListDto } from '../get-rollout/rollout.dto';
import { ListRollouts } from './list-rollouts.query';

const PAGE = 5_000;

/**
 * Folds the tenant's rollout streams (one pass over their events, found by the prefix of
 * their names), newest first. Linear in the number of rollout events: fine for hundreds of
 * rollouts; a read-model table is the next step when there are many.
 */
@QueryHandler(ListRollouts)
export class ListRolloutsHandler implements IQueryHandler<ListRollouts, RolloutListDto> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute({ tenantId }: ListRollouts): Promise<RolloutListDto> {
    const states = new Map<string, RolloutState>();
    let after: string | undefined;
    for (;;) {
      const { events, next } = await this.store.readAll({
        after,
        maxCount: PAGE,
        streamPrefixes: [tenantRolloutsPrefix(tenantId)],
      });
      for (const event of events) {
        const state = states.get(event.streamName) ?? null;
        states.set(
          event.streamName,
          evolveRollout(state, { type: event.type, data: event.data } as RolloutEvent),
        );
      }
      // A filtered read may skip other streams' events and return fewer: go on until nothing moves.
      if (next === undefined || (events.length === 0 && next === after)) break;
      after = next;
    }
    const items = [...states.values()]
      .filter((state): state is Rollout => state !== null)
      .sort((a, b) => b.request.startedAt.localeCompare(a.request.startedAt))
      .map(toRolloutSummaryDto);
    return { items };
  }
}
