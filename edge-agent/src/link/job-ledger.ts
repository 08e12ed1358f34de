import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { ConfigCommand, StatusReport, UpdateCommand } from '@opcfleet/contracts';
import {
  readJsonIfExists,
  removeDurably,
  removeStaleTempFiles,
  writeFileAtomic,
} from '../durable-files/durable-files';

/**
 * Every job the agent has seen, one small file per job in `<dataDir>/jobs`, so a command
 * delivered twice (QoS 1 is at-least-once, and the service may resend) runs once, and its
 * last report can be sent again. It also holds the per-job report sequence.
 */
export type LedgerCommand =
  { kind: 'update'; command: UpdateCommand } | { kind: 'config'; command: ConfigCommand };

export interface JobRecord {
  jobId: string;
  kind: 'update' | 'config';
  firstSeenAt: string;
  /** Kept so that an interrupted job can be resumed after a restart. */
  command?: UpdateCommand | ConfigCommand;
  lastSeq: number;
  lastReport?: StatusReport;
  finished: boolean;
  /**
   * When the service's cancel arrived. A job cancelled before its command is refused when the
   * command comes; an update cancelled while it runs is stopped again after a restart.
   */
  cancelledAt?: string;
  /**
   * Device-clock time after which the command may no longer start, as judged when it arrived
   * (see ServiceClock); absent for a command without expiry.
   */
  validUntil?: string;
}

const JOB_FILE = /^([0-9a-f-]{36})\.json$/;

export class JobLedger {
  private readonly records = new Map<string, JobRecord>();

  private constructor(private readonly dir: string) {}

  /** Loads every record; keeps at most `keepFinished` finished jobs (the oldest go). */
  static async open(dir: string, keepFinished = 1000): Promise<JobLedger> {
    await fs.mkdir(dir, { recursive: true });
    await removeStaleTempFiles(dir);
    const ledger = await JobLedger.read(dir);
    await ledger.prune(keepFinished);
    return ledger;
  }

  /** Loads without changing anything on disk (for the CLI, beside a running daemon). */
  static async read(dir: string): Promise<JobLedger> {
    const ledger = new JobLedger(dir);
    const names = await fs.readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      if (!JOB_FILE.test(name)) continue;
      const record = (await readJsonIfExists(path.join(dir, name)).catch(() => undefined)) as
        JobRecord | undefined;
      if (record) ledger.records.set(record.jobId, record);
    }
    return ledger;
  }

  get(jobId: string): JobRecord | undefined {
    return this.records.get(jobId);
  }

  unfinished(): JobRecord[] {
    return [...this.records.values()].filter((r) => !r.finished).sort(byFirstSeen);
  }

  /** The most recent jobs first. */
  recent(limit: number): JobRecord[] {
    return [...this.records.values()].sort(byFirstSeen).reverse().slice(0, limit);
  }

  async admit(entry: LedgerCommand, seenAt: string, validUntil?: string): Promise<JobRecord> {
    const record: JobRecord = {
      jobId: entry.command.jobId,
      kind: entry.kind,
      firstSeenAt: seenAt,
      command: entry.command,
      lastSeq: 0,
      finished: false,
      ...(validUntil && { validUntil }),
    };
    await this.save(record);
    return record;
  }

  /** Remembers a cancel: on the job's record, or on a new one for a job not seen yet. */
  async markCancelled(jobId: string, kind: JobRecord['kind'], at: string): Promise<JobRecord> {
    const known = this.records.get(jobId);
    // A job not seen yet has nothing left to do here: finished, and pruned like one.
    const record: JobRecord = known
      ? { ...known, cancelledAt: at }
      : { jobId, kind, firstSeenAt: at, lastSeq: 0, finished: true, cancelledAt: at };
    await this.save(record);
    return record;
  }

  async save(record: JobRecord): Promise<void> {
    await writeFileAtomic(this.fileOf(record.jobId), JSON.stringify(record));
    this.records.set(record.jobId, record);
  }

  private async prune(keepFinished: number): Promise<void> {
    const finished = [...this.records.values()].filter((r) => r.finished).sort(byFirstSeen);
    for (const record of finished.slice(0, Math.max(0, finished.length - keepFinished))) {
      await removeDurably(this.fileOf(record.jobId));
      this.records.delete(record.jobId);
    }
  }

  private fileOf(jobId: string): string {
    return path.join(this.dir, `${jobId}.json`);
  }
}

const byFirstSeen = (a: JobRecord, b: JobRecord) => a.firstSeenAt.localeCompare(b.firstSeenAt);
