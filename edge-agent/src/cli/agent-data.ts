import { readdir } from 'node:fs/promises';
import { readJsonIfExists } from '../durable-files/durable-files';
import type { SessionConflict } from '../link/session-takeover';
import { dataLayout } from '../agent/data-layout';
import { JobLedger, type JobRecord as LinkRecord } from '../link/job-ledger';
import { FileSnapshotStore } from '../snapshot-store/file-snapshot-store';
import type { LoadedJob } from '../snapshot-store/job-record';
import { FINAL_STATES, READABLE_MACHINE_VERSIONS } from '../update-machine/update-machine';

/** One job as the CLI shows it: the machine's snapshot (updates) and what the link knows. */
export interface JobView {
  jobId: string;
  kind: 'update' | 'config';
  /** Machine state for updates, last reported phase for config jobs. */
  state: string;
  createdAt: string;
  updatedAt: string;
  finished: boolean;
  snapshot?: LoadedJob;
  link?: LinkRecord;
}

const FINAL_UPDATE_STATES: readonly string[] = [...FINAL_STATES, 'committed'];

/**
 * Reads the daemon's data dir without writing to it, so the CLI works beside a running
 * daemon and also when the daemon is stuck or stopped.
 */
export class AgentData {
  private readonly layout: ReturnType<typeof dataLayout>;
  private readonly snapshots: FileSnapshotStore;

  constructor(dataDir: string) {
    this.layout = dataLayout(dataDir);
    this.snapshots = new FileSnapshotStore(this.layout.updates);
  }

  /** Every job, oldest first. */
  async jobs(): Promise<JobView[]> {
    const ledger = await JobLedger.read(this.layout.jobs);
    const views = new Map<string, JobView>();
    for (const listing of await this.snapshots.list()) {
      views.set(listing.jobId, {
        jobId: listing.jobId,
        kind: 'update',
        state: listing.state,
        createdAt: listing.createdAt,
        updatedAt: listing.updatedAt,
        finished: FINAL_UPDATE_STATES.includes(listing.state),
        link: ledger.get(listing.jobId),
      });
    }
    for (const record of ledger.recent(Number.MAX_SAFE_INTEGER)) {
      if (views.has(record.jobId)) continue;
      views.set(record.jobId, {
        jobId: record.jobId,
        kind: record.kind,
        state: record.lastReport?.phase ?? 'received',
        createdAt: record.firstSeenAt,
        updatedAt: record.lastReport?.at ?? record.firstSeenAt,
        finished: record.finished,
        link: record,
      });
    }
    return [...views.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** A job with its snapshot and transition log; the latest one when no id is given. */
  async job(jobId?: string): Promise<JobView | undefined> {
    const jobs = await this.jobs();
    const view = jobId ? jobs.find((j) => j.jobId === jobId) : jobs.at(-1);
    if (!view || view.kind !== 'update') return view;
    return { ...view, snapshot: await this.snapshots.load(view.jobId, READABLE_MACHINE_VERSIONS) };
  }

  /** Written by the daemon while another client takes this identity's MQTT session. */
  async sessionConflict(): Promise<SessionConflict | null> {
    return ((await readJsonIfExists(this.layout.sessionConflict).catch(() => undefined)) ??
      null) as SessionConflict | null;
  }

  async pendingReports(): Promise<number> {
    const names = await readdir(this.layout.outbox).catch(() => [] as string[]);
    return names.filter((n) => /^\d+\.json$/.test(n)).length;
  }
}
