import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { EventStore } from '@opcfleet/event-store';
import { EVENT_STORE } from '../../event-sourcing/event-store.token';
import { toJobEventDto, type JobEventDto } from '../../jobs/job-history';
import { notFound } from '../../shared/domain/domain-error';
import { rolloutStream } from '../../shared/domain/stream-names';
import { GetRolloutEvents } from './rollout-events.query';

/** The raw history of a rollout, straight from its stream (the tenant is part of its name). */
@QueryHandler(GetRolloutEvents)
export class GetRolloutEventsHandler implements IQueryHandler<GetRolloutEvents, JobEventDto[]> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute({ tenantId, rolloutId }: GetRolloutEvents): Promise<JobEventDto[]> {
    const events = await this.store.readStream(rolloutStream(tenantId, rolloutId));
    if (events.length === 0) throw notFound('rollout', rolloutId);
    return events.map(toJobEventDto);
  }
}
