import { Injectable } from '@nestjs/common';
import { EventStreams, type LoadedStream } from '../event-sourcing/event-streams';
import { DomainError, notFound } from '../shared/domain/domain-error';
import type { CommandContext } from '../shared/domain/domain-event';
import { releaseStream } from '../shared/domain/stream-names';
import {
  evolveRelease,
  foldRelease,
  type Release,
  type ReleaseState,
} from './domain/release.decider';
import type { ReleaseEvent } from './domain/release.events';

/**
 * Loads release streams into the state of the release decider and appends what it decided,
 * with the state after the events (the `releases` row commits with them). Jobs and rollouts
 * resolve a release here: from its stream, never from the read model, so a withdrawal just
 * committed is seen.
 */
@Injectable()
export class ReleaseStreams {
  constructor(private readonly streams: EventStreams) {}

  load(tenantId: string, releaseId: string): Promise<LoadedStream<ReleaseState>> {
    return this.streams.load<ReleaseState, ReleaseEvent>(
      releaseStream(tenantId, releaseId),
      foldRelease,
    );
  }

  async append(
    loaded: LoadedStream<ReleaseState>,
    events: readonly ReleaseEvent[],
    context: CommandContext,
  ): Promise<ReleaseState> {
    const stateAfter = events.reduce(evolveRelease, loaded.state);
    if (events.length === 0 || !stateAfter) return stateAfter;
    await this.streams.append(releaseStream(context.tenantId, stateAfter.releaseId), events, {
      expectedRevision: loaded.expectedRevision,
      stateAfter,
      context,
    });
    return stateAfter;
  }

  /**
   * The release a new job may install: not_found for an unknown id (another tenant's is never
   * found: the tenant is part of the stream's name), release_withdrawn once withdrawn.
   */
  async installable(tenantId: string, releaseId: string): Promise<Release> {
    const { state } = await this.load(tenantId, releaseId);
    if (!state) throw notFound('release', releaseId);
    if (state.withdrawn) throw withdrawnError(state);
    return state;
  }
}

export const withdrawnError = (release: Release) =>
  new DomainError(
    'release_withdrawn',
    `release ${release.product} ${release.version} was withdrawn (${release.withdrawn?.reason ?? 'no reason given'}): no new job may install it`,
    { releaseId: release.releaseId, withdrawn: release.withdrawn },
  );
