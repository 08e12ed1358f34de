import type { RecordedEvent } from '@opcfleet/event-store';

/**
 * An event this process has just committed, as a subscription will later read it, without
 * its $all position (a multi-stream append learns only the position of its first stream).
 */
export type CommittedEvent<Type extends string = string, Data = unknown> = Omit<
  RecordedEvent<Type, Data>,
  'position'
> & {
  /** Its stream's read-model rows committed with it (the inline projection). */
  projected?: true;
};

export type CommitListener = (events: readonly CommittedEvent[]) => void;

/**
 * Tells listeners in this process what it has just committed, right after the commit. A hint
 * for latency only: the event store's subscriptions deliver the same events durably, and a
 * listener that misses one (not registered yet, busy, or in another replica) loses nothing.
 */
export class LocalCommits {
  private readonly listeners = new Set<CommitListener>();

  onCommitted(listener: CommitListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  committed(events: readonly CommittedEvent[]): void {
    if (events.length === 0) return;
    for (const listener of this.listeners) {
      try {
        listener(events);
      } catch {
        // A hint only (see above): the append has committed and must be reported as such.
      }
    }
  }
}
