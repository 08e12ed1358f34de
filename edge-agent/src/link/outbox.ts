import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { StatusReport } from '@opcfleet/contracts';
import {
  readJsonIfExists,
  removeDurably,
  removeStaleTempFiles,
  writeFileAtomic,
} from '../durable-files/durable-files';

export interface OutboxEntry {
  /** Position in the outbox: reports leave in this order. */
  position: number;
  topic: string;
  report: StatusReport;
}

const ENTRY_FILE = /^(\d{12})\.json$/;

/**
 * Status reports not yet acknowledged by the broker, one file each in `<dataDir>/outbox`,
 * named by position. A report is written (fsync) before it is published and removed only
 * after its PUBACK, so a broker outage or a power cut loses none and reorders none.
 */
export class Outbox {
  private readonly entries: OutboxEntry[] = [];
  private nextPosition = 1;

  private constructor(private readonly dir: string) {}

  static async open(dir: string): Promise<Outbox> {
    await fs.mkdir(dir, { recursive: true });
    await removeStaleTempFiles(dir);
    const outbox = new Outbox(dir);
    const names = (await fs.readdir(dir)).filter((name) => ENTRY_FILE.test(name)).sort();
    for (const name of names) {
      const file = path.join(dir, name);
      const entry = (await readJsonIfExists(file).catch(() => null)) as
        OutboxEntry | null | undefined;
      // Unreadable (a failing disk; writes themselves are atomic): set aside, not fatal, not resent.
      if (entry === null) await fs.rename(file, `${file}.corrupt`);
      else if (entry) outbox.entries.push(entry);
    }
    const last = outbox.entries.at(-1);
    outbox.nextPosition = last ? last.position + 1 : 1;
    return outbox;
  }

  async append(topic: string, report: StatusReport): Promise<OutboxEntry> {
    const entry: OutboxEntry = { position: this.nextPosition++, topic, report };
    await writeFileAtomic(this.fileOf(entry.position), JSON.stringify(entry));
    this.entries.push(entry);
    return entry;
  }

  head(): OutboxEntry | undefined {
    return this.entries[0];
  }

  size(): number {
    return this.entries.length;
  }

  pending(): readonly OutboxEntry[] {
    return this.entries;
  }

  /** The highest sequence number of a job still waiting here (0 if none). */
  highestSeq(jobId: string): number {
    return this.entries.reduce(
      (max, e) => (e.report.jobId === jobId ? Math.max(max, e.report.seq) : max),
      0,
    );
  }

  async remove(entry: OutboxEntry): Promise<void> {
    await removeDurably(this.fileOf(entry.position));
    const index = this.entries.indexOf(entry);
    if (index >= 0) this.entries.splice(index, 1);
  }

  private fileOf(position: number): string {
    return path.join(this.dir, `${String(position).padStart(12, '0')}.json`);
  }
}
