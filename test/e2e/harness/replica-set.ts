import { startReplicas, type ServiceOptions, type ServiceUnderTest } from './device-management';

/** What a replica's log says about one exclusive subscription (libs/event-store's lease). */
const LEASE_HELD = 'subscription lease held: running it';
const LEASE_LOST = 'subscription lease lost: another process may take over';

/** When a replica took an exclusive subscription's lease, from its log. */
export interface LeaseTaken {
  replica: string;
  subscription: string;
  at: number;
}

/**
 * Several service replicas as separate processes on one database and broker, some of them
 * killed and restarted by a test: it knows which are up (started and healthy, not being
 * killed), and which one holds an exclusive subscription's lease.
 */
export class ReplicaSet {
  private readonly down = new Set<ServiceUnderTest>();

  private constructor(readonly replicas: ServiceUnderTest[]) {}

  static async start(
    count: number,
    options: Omit<ServiceOptions, 'name' | 'replica' | 'sharedGroup'>,
  ): Promise<ReplicaSet> {
    return new ReplicaSet(await startReplicas(count, options));
  }

  /** Replicas answering now (started, healthy, not being killed). */
  live(): ServiceUnderTest[] {
    return this.replicas.filter((r) => r.process.running && !this.down.has(r));
  }

  /** A live replica's base URL, picked at random: the API works on every one. */
  liveBaseUrl(): string {
    const live = this.live();
    if (live.length === 0) throw new Error('no service replica is up');
    return live[Math.floor(Math.random() * live.length)].baseUrl;
  }

  /**
   * kill -9, then start again and wait until healthy (`timeoutMs`: a loaded machine starts a
   * replica slowly); the replica is out of `live()` meanwhile.
   */
  async killAndRestart(replica: ServiceUnderTest, timeoutMs?: number): Promise<void> {
    this.down.add(replica);
    try {
      await replica.restartAfterKill(timeoutMs);
    } finally {
      this.down.delete(replica);
    }
  }

  /** The live replica whose current run holds the lease of `subscription`, if one says so. */
  holderOf(subscription: string): ServiceUnderTest | undefined {
    return this.live().find((replica) => {
      const lines = leaseLines(replica.process.sinceLastStart(), subscription);
      return lines.length > 0 && lines[lines.length - 1].msg === LEASE_HELD;
    });
  }

  /** Every time a replica took a lease, over all its runs, in time order. */
  leasesTaken(): LeaseTaken[] {
    return this.replicas
      .flatMap((replica) =>
        replica.process
          .jsonLines()
          .filter((line) => line.msg === LEASE_HELD)
          .map((line) => ({
            replica: replica.process.name,
            subscription: String(line.subscription),
            at: Number(line.time),
          })),
      )
      .sort((a, b) => a.at - b.at);
  }

  async close(): Promise<void> {
    await Promise.all(this.replicas.map((replica) => replica.close().catch(() => undefined)));
  }

  /** The end of every replica's log, for a failing test. */
  tails(lines = 30): string {
    return this.replicas
      .map((r) => `----- ${r.process.name} (${r.process.logFile}) -----\n${r.process.tail(lines)}`)
      .join('\n');
  }
}

function leaseLines(log: string, subscription: string): Array<{ msg: string }> {
  const found: Array<{ msg: string }> = [];
  for (const text of log.split('\n')) {
    if (!text.includes(LEASE_HELD) && !text.includes(LEASE_LOST)) continue;
    try {
      const line = JSON.parse(text) as { msg: string; subscription?: string };
      if (line.subscription === subscription) found.push(line);
    } catch {
      // A line cut by a kill -9.
    }
  }
  return found;
}
