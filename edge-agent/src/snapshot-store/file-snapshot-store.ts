import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobListing, JobRecord, LoadedJob, SnapshotStore } from './job-record';

const SUFFIX = '.job.json';
const SAFE_JOB_ID = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * One JSON file per job in a directory. Each save is atomic and durable: write a temp file,
 * fsync it, rename it over the old one, fsync the directory, so a power cut leaves either the
 * old record or the new one, never a torn file.
 */
export class FileSnapshotStore implements SnapshotStore {
  private ready: Promise<void> | null = null;

  constructor(private readonly directory: string) {}

  async save(record: JobRecord): Promise<void> {
    await this.ensureDirectory();
    const target = this.pathOf(record.jobId);
    const temp = `${target}.${process.pid}.tmp`;
    const file = await open(temp, 'w');
    try {
      await file.writeFile(JSON.stringify(record, null, 1));
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, target);
    const dir = await open(this.directory, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  async load(jobId: string, readableVersions: readonly number[]): Promise<LoadedJob> {
    let text: string;
    try {
      text = await readFile(this.pathOf(jobId), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing', jobId };
      throw error;
    }
    let parsed: Partial<JobRecord>;
    try {
      parsed = JSON.parse(text) as Partial<JobRecord>;
    } catch (error) {
      return { kind: 'corrupt', jobId, error: (error as Error).message };
    }
    if (typeof parsed !== 'object' || parsed === null || typeof parsed.state !== 'string') {
      return { kind: 'corrupt', jobId, error: 'not a job record' };
    }
    if (!readableVersions.includes(parsed.machineVersion as number)) {
      return {
        kind: 'incompatible',
        jobId,
        machineVersion: Number(parsed.machineVersion ?? 0),
        raw: parsed,
      };
    }
    return { kind: 'ok', record: parsed as JobRecord };
  }

  async list(): Promise<JobListing[]> {
    let names: string[];
    try {
      names = await readdir(this.directory);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const listings: JobListing[] = [];
    for (const name of names.filter((n) => n.endsWith(SUFFIX))) {
      try {
        const record = JSON.parse(
          await readFile(join(this.directory, name), 'utf8'),
        ) as Partial<JobRecord>;
        listings.push({
          jobId: record.jobId ?? name.slice(0, -SUFFIX.length),
          state: String(record.state ?? 'unknown'),
          machineVersion: Number(record.machineVersion ?? 0),
          createdAt: String(record.createdAt ?? ''),
          updatedAt: String(record.updatedAt ?? ''),
        });
      } catch {
        listings.push({
          jobId: name.slice(0, -SUFFIX.length),
          state: 'corrupt',
          machineVersion: 0,
          createdAt: '',
          updatedAt: '',
        });
      }
    }
    return listings.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** Temp files left by a crash mid-write are garbage: the rename never happened. */
  private ensureDirectory(): Promise<void> {
    this.ready ??= (async () => {
      await mkdir(this.directory, { recursive: true });
      for (const name of await readdir(this.directory)) {
        if (name.endsWith('.tmp')) await rm(join(this.directory, name), { force: true });
      }
    })();
    return this.ready;
  }

  private pathOf(jobId: string): string {
    if (!SAFE_JOB_ID.test(jobId)) throw new Error(`unsafe job id for a file name: ${jobId}`);
    return join(this.directory, `${jobId}${SUFFIX}`);
  }
}
