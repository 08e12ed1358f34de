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
 * or finds the stream moved. A copy may still be stale when another process appended: it is
 * only for a decision appended back to the same stream at the copy's revision, which the store
 * then refuses (see EventStreams.loadToAppend).
 */
export class StreamStateCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly capacity: number) {}

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
    if (typeof loaded.expectedRevision !== 'number') return;
    this.entries.delete(streamName);
    this.entries.set(streamName, {
      fold,
      loaded: { ...loaded, expectedRevision: loaded.expectedRevision },
    });
    if (this.entries.size > this.capacity) {
      this.entries.delete(this.entries.keys().next().value!);
    }
  }

  /** This process appended to the stream: its state after (undefined: not known) and revision. */
  appended(streamName: string, stateAfter: unknown, revision: number): void {
    const entry = this.entries.get(streamName);
    if (!entry) return;
    if (stateAfter === undefined) {
      this.entries.delete(streamName);
      return;
    }
    entry.loaded = { ...entry.loaded, state: stateAfter, expectedRevision: revision };
  }

  forget(streamName: string): void {
    this.entries.delete(streamName);
  }
}
