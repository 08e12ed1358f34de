/**
 * Runs tasks with a bound on how many are accepted at once, in order per key: the reports of
 * one job are applied one after the other (no optimistic-concurrency fights over its stream),
 * the reports of different jobs in parallel. `push` resolves when the task is accepted, which
 * is how back-pressure reaches the broker: the next message is acknowledged only then.
 */
export class KeyedWorkQueue {
  private accepted = 0;
  private readonly tails = new Map<string, Promise<void>>();
  private readonly slotWaiters: Array<() => void> = [];
  private readonly idleWaiters: Array<() => void> = [];

  constructor(private readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error('capacity must be >= 1');
  }

  /** Tasks accepted and not finished yet. */
  get size(): number {
    return this.accepted;
  }

  async push(key: string, task: () => Promise<void>): Promise<void> {
    while (this.accepted >= this.capacity) {
      await new Promise<void>((resolve) => this.slotWaiters.push(resolve));
    }
    this.accepted++;
    const previous = this.tails.get(key) ?? Promise.resolve();
    const run: Promise<void> = previous
      .then(task)
      // A task reports its own failures; one failing never blocks the tasks after it.
      .catch(() => undefined)
      .finally(() => {
        if (this.tails.get(key) === run) this.tails.delete(key);
        this.accepted--;
        this.slotWaiters.shift()?.();
        if (this.accepted === 0) for (const idle of this.idleWaiters.splice(0)) idle();
      });
    this.tails.set(key, run);
  }

  /** Resolves when every accepted task has finished. */
  async drain(): Promise<void> {
    if (this.accepted === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }
}
