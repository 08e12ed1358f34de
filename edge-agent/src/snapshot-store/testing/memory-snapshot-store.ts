import type { JobListing, JobRecord, LoadedJob, SnapshotStore } from '../job-record';

/** Keeps records in memory (deep-copied, as if serialised) for the machine's fast tests. */
export class MemorySnapshotStore implements SnapshotStore {
  readonly records = new Map<string, JobRecord>();
  /** Every saved version, in order: each one is a point a power cut could leave behind. */
  readonly history: JobRecord[] = [];

  async save(record: JobRecord) {
    const copy = JSON.parse(JSON.stringify(record)) as JobRecord;
    this.records.set(record.jobId, copy);
    this.history.push(copy);
  }

  async load(jobId: string, readableVersions: readonly number[]): Promise<LoadedJob> {
    const record = this.records.get(jobId);
    if (!record) return { kind: 'missing', jobId };
    if (!readableVersions.includes(record.machineVersion)) {
      return { kind: 'incompatible', jobId, machineVersion: record.machineVersion, raw: record };
    }
    return { kind: 'ok', record: JSON.parse(JSON.stringify(record)) as JobRecord };
  }

  async list(): Promise<JobListing[]> {
    return [...this.records.values()].map(
      ({ jobId, state, machineVersion, createdAt, updatedAt }) => ({
        jobId,
        state,
        machineVersion,
        createdAt,
        updatedAt,
      }),
    );
  }
}
