/** Streams remembered at most: beyond, the oldest are forgotten (their check goes to the rows). */
const CAPACITY = 100_000;

/**
 * The revisions up to which this process wrote streams' read-model rows inline, in the commits
 * of its own appends, until the catch-up projection passes them. For those streams the
 * projection need not read the rows back to know they are written: most of its batches in a
 * busy replica. A stream it does not find here (another replica's append, a forgotten entry, a
 * retried batch) is checked against the rows, as before.
 */
export class ProjectedHere {
  private readonly revisions = new Map<string, number>();

  constructor(private readonly capacity = CAPACITY) {}

  /** The stream's rows were committed at this revision. */
  written(streamName: string, revision: number): void {
    const known = this.revisions.get(streamName);
    if (known !== undefined && known >= revision) return;
    this.revisions.delete(streamName);
    this.revisions.set(streamName, revision);
    if (this.revisions.size > this.capacity) {
      this.revisions.delete(this.revisions.keys().next().value!);
    }
  }

  /**
   * Whether the stream's rows are known written up to `revision`. The projection passes each
   * stream's revisions once, so an entry it has reached is dropped.
   */
  covers(streamName: string, revision: number): boolean {
    const known = this.revisions.get(streamName);
    if (known === undefined || known < revision) return false;
    if (known === revision) this.revisions.delete(streamName);
    return true;
  }

  get size(): number {
    return this.revisions.size;
  }
}
