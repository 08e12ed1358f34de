import { Injectable } from '@nestjs/common';
import {
  EventStreams,
  type AppendDecided,
  type LoadedStream,
} from '../event-sourcing/event-streams';
import { notFound } from '../shared/domain/domain-error';
import { rolloutStream } from '../shared/domain/stream-names';
import {
  evolveRollout,
  foldRollout,
  type Rollout,
  type RolloutState,
} from './domain/rollout.decider';
import type { RolloutEvent } from './domain/rollout.events';

/** Loads rollout streams into the state of the rollout decider. */
@Injectable()
export class RolloutStreams {
  constructor(readonly streams: EventStreams) {}

  load(tenantId: string, rolloutId: string): Promise<LoadedStream<RolloutState>> {
    return this.streams.load<RolloutState, RolloutEvent>(
      rolloutStream(tenantId, rolloutId),
      foldRollout,
    );
  }

  /**
   * The rollout of `tenantId`; not_found for an unknown id. Another tenant's rollout is never
   * found: the tenant is part of the stream's name.
   */
  async loadOfTenant(tenantId: string, rolloutId: string): Promise<LoadedStream<Rollout>> {
    const loaded = await this.load(tenantId, rolloutId);
    if (!loaded.state) throw notFound('rollout', rolloutId);
    return { ...loaded, state: loaded.state };
  }

  /**
   * Appends what the rollout decider decided on `rollout` (null: the stream is new), with the
   * state after the events: the read model's rows commit with them.
   */
  append(
    rollout: RolloutState,
    events: readonly RolloutEvent[],
    options: Omit<AppendDecided, 'stateAfter'>,
  ) {
    const stateAfter = events.reduce(evolveRollout, rollout);
    if (!stateAfter) return Promise.resolve(undefined);
    const { tenantId, rolloutId } = stateAfter.request;
    return this.streams.append(rolloutStream(tenantId, rolloutId), events, {
      ...options,
      stateAfter,
    });
  }
}
