import { readdirSync, readFileSync } from 'node:fs';

/** CPU time (user + system) and resident memory of a process, from /proc. */
export function processUsage(pid: number): { cpuSeconds: number; rssBytes: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime
  const rssPages = Number(fields[21]);
  return { cpuSeconds: ticks / CLOCK_TICKS_PER_SECOND, rssBytes: rssPages * PAGE_SIZE };
}

/**
 * The CPU used by every process whose command name is `comm` (all of PostgreSQL's backends,
 * say), sampled until stopped: processes that end meanwhile keep what they used up to their
 * last sample, processes that start meanwhile count from zero.
 */
export class CommandCpuSampler {
  private readonly first = new Map<number, number>();
  private readonly last = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly comm: string) {}

  start(intervalMs = 250): void {
    for (const [pid, cpu] of this.read()) this.first.set(pid, cpu);
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  /** CPU seconds used since the start. */
  stop(): number {
    clearInterval(this.timer);
    this.sample();
    let seconds = 0;
    for (const [pid, cpu] of this.last) seconds += cpu - (this.first.get(pid) ?? 0);
    return seconds;
  }

  private sample(): void {
    for (const [pid, cpu] of this.read()) this.last.set(pid, cpu);
  }

  private read(): Map<number, number> {
    const usage = new Map<number, number>();
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) !== this.comm) continue;
        usage.set(Number(entry), processUsage(Number(entry)).cpuSeconds);
      } catch {
        // It ended meanwhile.
      }
    }
    return usage;
  }
}

const CLOCK_TICKS_PER_SECOND = 100;
const PAGE_SIZE = 4096;

/** Samples a process's RSS and CPU at an interval until stopped. */
export class UsageSampler {
  private readonly samples: Array<{ at: number; cpuSeconds: number; rssBytes: number }> = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly pid: number) {}

  start(intervalMs = 250): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  stop(): { cpuSeconds: number; wallSeconds: number; peakRssBytes: number; endRssBytes: number } {
    clearInterval(this.timer);
    this.sample();
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    return {
      cpuSeconds: last.cpuSeconds - first.cpuSeconds,
      wallSeconds: (last.at - first.at) / 1000,
      peakRssBytes: Math.max(...this.samples.map((s) => s.rssBytes)),
      endRssBytes: last.rssBytes,
    };
  }

  private sample(): void {
    try {
      this.samples.push({ at: Date.now(), ...processUsage(this.pid) });
    } catch {
      // The process ended: the last samples stand.
    }
  }
}

/** Latencies in milliseconds, summarised as percentiles. */
export class Latencies {
  private readonly values: number[] = [];
  errors = 0;

  add(ms: number): void {
    this.values.push(ms);
  }

  async time<T>(work: () => Promise<T>): Promise<T | undefined> {
    const start = performance.now();
    try {
      const result = await work();
      this.values.push(performance.now() - start);
      return result;
    } catch {
      this.errors += 1;
      return undefined;
    }
  }

  summary(): string {
    if (this.values.length === 0) return `no samples (${this.errors} errors)`;
    const sorted = [...this.values].sort((a, b) => a - b);
    const at = (q: number) =>
      sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))].toFixed(1);
    return `n=${sorted.length} p50=${at(0.5)} ms p95=${at(0.95)} ms p99=${at(0.99)} ms max=${sorted[sorted.length - 1].toFixed(1)} ms errors=${this.errors}`;
  }
}

export { forEachLimit } from '../../test/e2e/harness/free-port';

export const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
