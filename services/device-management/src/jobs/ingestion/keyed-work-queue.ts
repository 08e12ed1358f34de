/**
 * Runs tasks in order per key and in parallel across keys, with two bounds: at most `running`
 * tasks at once, and at most `accepted` tasks held (running or waiting). `push` resolves as soon
 * as the task is held, which is when the broker's message is acknowledged: the MQTT packet loop
 * waits only while the queue is full, and then only for tasks that never wait on MQTT.
 */
export class KeyedWorkQueue {
  /** Tasks held per key, the first of each running or ready. */
  private readonly byKey = new Map<string, Array<() => Promise<void>>>();
  /** Keys whose first task may start, oldest first. */
  private readonly ready: string[] = [];
  private running = 0;
  private held = 0;
  private readonly roomWaiters: Array<() => void> = [];
  private readonly idleWaiters: Array<() => void> = [];

  constructor(private readonly limits: { running: number; accepted: number }) {
    const { running, accepted } = limits;
    if (!Number.isInteger(running) || running < 1 || !Number.isInteger(accepted)) {
      throw new Error('running and accepted must be whole numbers >= 1');
    }
    if (accepted < running) throw new Error('accepted must be >= running');
  }

  /** Tasks held and not finished yet. */
  get size(): number {
    return this.held;
  }

  async push(key: string, task: () => Promise<void>): Promise<void> {
    while (this.held >= this.limits.accepted) {
      await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
    }
    this.held++;
    const tasks = this.byKey.get(key);
    if (tasks) {
      tasks.push(task);
      return;
    }
    this.byKey.set(key, [task]);
    this.ready.push(key);
    this.startReady();
  }

  /** Resolves when every held task has finished. */
  async drain(): Promise<void> {
    if (this.held === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private startReady(): void {
    while (this.running < this.limits.running && this.ready.length > 0) {
      const key = this.ready.shift()!;
      void this.run(key, this.byKey.get(key)![0]);
    }
  }

  private async run(key: string, task: () => Promise<void>): Promise<void> {
    this.running++;
    // A task reports its own failures; one failing never blocks the tasks after it.
    await task().catch(() => undefined);
    this.running--;
    this.held--;
    const tasks = this.byKey.get(key)!;
    tasks.shift();
    if (tasks.length > 0) this.ready.push(key);
    else this.byKey.delete(key);
    this.roomWaiters.shift()?.();
    if (this.held === 0) for (const idle of this.idleWaiters.splice(0)) idle();
    this.startReady();
  }
}
