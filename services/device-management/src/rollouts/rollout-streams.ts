import { Injectable } from '@nestjs/common';
import {
  EventStreams,
  metadataOf,
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

/** How many rollouts this process keeps folded between commands. */
const KEPT_ROLLOUTS = 64;

type KnownRollout = LoadedStream<RolloutState> & { expectedRevision: number };

/**
 * Loads rollout streams into the state of the rollout decider. The rollouts used last are
 * kept folded: a load reads only the events after the revision kept (its state is immutable,
 * so a decision thrown away leaves it as it was). Another replica's appends are read like any
 * other event, so what is kept is never stale, only behind until the next load.
 */
@Injectable()
export class RolloutStreams {
  private readonly known = new Map<string, KnownRollout>();

  constructor(readonly streams: EventStreams) {}

  async load(tenantId: string, rolloutId: string): Promise<LoadedStream<RolloutState>> {
    const streamName = rolloutStream(tenantId, rolloutId);
    const known = this.known.get(streamName);
    const loaded = known
      ? await this.streams.catchUp<RolloutState, RolloutEvent>(streamName, known, evolveRollout)
      : await this.streams.load<RolloutState, RolloutEvent>(streamName, foldRollout);
    this.keep(streamName, loaded);
    return loaded;
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
  async append(
    rollout: RolloutState,
    events: readonly RolloutEvent[],
    options: Omit<AppendDecided, 'stateAfter'>,
  ) {
    const stateAfter = events.reduce(evolveRollout, rollout);
    if (!stateAfter) return undefined;
    const { tenantId, rolloutId } = stateAfter.request;
    const streamName = rolloutStream(tenantId, rolloutId);
    const result = await this.streams.append(streamName, events, { ...options, stateAfter });
    if (result) {
      // Its first event's metadata: the driver gives the rollout's jobs that trace context.
      const origin = rollout ? this.known.get(streamName)?.origin : metadataOf(options.context);
      this.keep(streamName, {
        state: stateAfter,
        expectedRevision: result.nextExpectedRevision,
        ...(origin ? { origin } : {}),
      });
    }
    return result;
  }

  /** Keeps a loaded rollout, the one used least recently leaving when too many are kept. */
  private keep(streamName: string, loaded: LoadedStream<RolloutState>): void {
    this.known.delete(streamName);
    if (!loaded.state || typeof loaded.expectedRevision !== 'number') return;
    this.known.set(streamName, { ...loaded, expectedRevision: loaded.expectedRevision });
    if (this.known.size > KEPT_ROLLOUTS) this.known.delete(this.known.keys().next().value!);
  }
}
