import { Injectable } from '@nestjs/common';
import { EventStreams, type LoadedStream } from '../event-sourcing/event-streams';
import { notFound } from '../shared/domain/domain-error';
import { rolloutStream } from '../shared/domain/stream-names';
import { foldRollout, type Rollout, type RolloutState } from './domain/rollout.decider';
import type { RolloutEvent } from './domain/rollout.events';

/** Loads rollout streams into the state of the rollout decider. */
@Injectable()
export class RolloutStreams {
  constructor(readonly streams: EventStreams) {}

  load(rolloutId: string): Promise<LoadedStream<RolloutState>> {
    return this.streams.load<RolloutState, RolloutEvent>(rolloutStream(rolloutId), foldRollout);
  }

  /** The rollout of `tenantId`; not_found for an unknown id or another tenant's (no leak). */
  async loadOfTenant(tenantId: string, rolloutId: string): Promise<LoadedStream<Rollout>> {
    const loaded = await this.load(rolloutId);
    if (!loaded.state || loaded.state.request.tenantId !== tenantId) {
      throw notFound('rollout', rolloutId);
    }
    return { ...loaded, state: loaded.state };
  }
}
