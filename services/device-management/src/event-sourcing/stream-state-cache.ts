import type { EventMetadata } from '@opcfleet/event-store';
import type { LoadedStream } from './event-streams';

type Fold = (events: never[]) => unknown;

interface Entry {
  fold: Fold;
  /** None yet for a stream loaded without events: its creating append gives it one. */
  loaded?: LoadedStream<unknown> & { expectedRevision: number };
}

/**
 * This process's copies of stream states, newest use last, at most `capacity` of them. An entry
 * is made by a load (which names the fold) and kept current by this process's appends to the
 * stream (their state after); it is dropped when an append cannot tell the state after, fails,
 * or finds the stream moved. A stream loaded without events is remembered by its fold alone,
 * so that this process's append that creates it (a client's registration) leaves its state
 * here; until then it has no copy: that a stream does not exist is always asked of the store.
 * A copy may still be stale when another process appended: it is only for a decision appended
 * back to the same stream at the copy's revision, which the store then refuses (see
 * EventStreams.loadToAppend).
 */
export class StreamStateCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly capacity: number) {}

  get<State>(
    streamName: string,
    fold: Fold,
  ): (LoadedStream<State> & { expectedRevision: number }) | undefined {
    const entry = this.entries.get(streamName);
    if (!entry?.loaded || entry.fold !== fold) return undefined;
    this.entries.delete(streamName);
    this.entries.set(streamName, entry);
    return entry.loaded as LoadedStream<State> & { expectedRevision: number };
  }

  /** A state loaded from the store with `fold`. */
  remember(streamName: string, fold: Fold, loaded: LoadedStream<unknown>): void {
    const { expectedRevision } = loaded;
    this.entries.delete(streamName);
    this.entries.set(streamName, {
      fold,
      ...(typeof expectedRevision === 'number' && { loaded: { ...loaded, expectedRevision } }),
    });
    if (this.entries.size > this.capacity) {
      this.entries.delete(this.entries.keys().next().value!);
    }
  }

  /**
   * This process appended to the stream: its state after (undefined: not known) and revision;
   * `created`: this append created the stream, whose first event has the metadata `origin`.
   */
  appended(
    streamName: string,
    stateAfter: unknown,
    revision: number,
    created?: { origin?: EventMetadata },
  ): void {
    const entry = this.entries.get(streamName);
    if (!entry) return;
    if (stateAfter === undefined || (!entry.loaded && !created)) {
      this.entries.delete(streamName);
      return;
    }
    const origin = entry.loaded ? entry.loaded.origin : created?.origin;
    entry.loaded = { state: stateAfter, expectedRevision: revision, ...(origin && { origin }) };
  }

  forget(streamName: string): void {
    this.entries.delete(streamName);
  }
}
