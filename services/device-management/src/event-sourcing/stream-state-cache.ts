import type { EventMetadata } from '@opcfleet/event-store';
import type { LoadedStream } from './event-streams';

type Fold = (events: never[]) => unknown;

interface Entry {
  fold: Fold;
  loaded: LoadedStream<unknown> & { expectedRevision: number };
}

/**
 * This process's copies of stream states, newest use last, at most `capacity` of them. An entry
 * is made by a load (which names the fold) and kept current by this process's appends to the
 * stream (their state after); it is dropped when an append cannot tell the state after, fails,
 * or finds the stream moved. A stream loaded without events is remembered by its fold alone,
 * apart and at most `capacity / 10` of them, so that this process's append that creates it (a
 * client's registration) leaves its state here; until then it has no copy: that a stream does
 * not exist is always asked of the store. Kept apart, loads of streams that do not exist (a
 * request naming an unknown client, 404) cannot push the states of real streams out.
 * A copy may still be stale when another process appended: it is only for a decision appended
 * back to the same stream at the copy's revision, which the store then refuses (see
 * EventStreams.loadToAppend).
 */
export class StreamStateCache {
  private readonly entries = new Map<string, Entry>();
  /** Streams loaded without events, awaiting their creation: their fold. */
  private readonly awaitingCreation = new Map<string, Fold>();
  private readonly awaitingCapacity: number;

  constructor(private readonly capacity: number) {
    this.awaitingCapacity = Math.max(1, Math.floor(capacity / 10));
  }

  get<State>(
    streamName: string,
    fold: Fold,
  ): (LoadedStream<State> & { expectedRevision: number }) | undefined {
    const entry = this.entries.get(streamName);
    if (!entry || entry.fold !== fold) return undefined;
    this.entries.delete(streamName);
    this.entries.set(streamName, entry);
    return entry.loaded as LoadedStream<State> & { expectedRevision: number };
  }

  /** A state loaded from the store with `fold`. */
  remember(streamName: string, fold: Fold, loaded: LoadedStream<unknown>): void {
    const { expectedRevision } = loaded;
    this.forget(streamName);
    if (typeof expectedRevision === 'number') {
      this.keep(
        this.entries,
        streamName,
        { fold, loaded: { ...loaded, expectedRevision } },
        this.capacity,
      );
    } else {
      this.keep(this.awaitingCreation, streamName, fold, this.awaitingCapacity);
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
    const awaited = this.awaitingCreation.get(streamName);
    if (!entry && !awaited) return;
    this.awaitingCreation.delete(streamName);
    if (stateAfter === undefined || (!entry && !created)) {
      this.entries.delete(streamName);
      return;
    }
    const origin = entry ? entry.loaded.origin : created?.origin;
    const loaded = { state: stateAfter, expectedRevision: revision, ...(origin && { origin }) };
    if (entry) entry.loaded = loaded;
    else this.keep(this.entries, streamName, { fold: awaited!, loaded }, this.capacity);
  }

  forget(streamName: string): void {
    this.entries.delete(streamName);
    this.awaitingCreation.delete(streamName);
  }

  /** Sets the newest key of `map`, dropping its oldest beyond `capacity`. */
  private keep<Value>(map: Map<string, Value>, key: string, value: Value, capacity: number) {
    map.set(key, value);
    if (map.size > capacity) map.delete(map.keys().next().value!);
  }
}
