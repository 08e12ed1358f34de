import type { ContainerRuntime } from '../container-runtime/container-runtime.port';
import type { JobRecord, LoadedJob, SnapshotStore } from '../snapshot-store/job-record';
import type { Logger } from './logger';
import type { PhaseSink } from './phase-reports';
import { recoverWorkload } from './recover-workload';
import { MACHINE_VERSION, type UpdateJobContext } from './update-machine';

export type UnreadableJob = Extract<LoadedJob, { kind: 'incompatible' | 'corrupt' }>;

/**
 * A snapshot this agent cannot read is not guessed at: make sure the workload runs, report the
 * job failed, and supersede the snapshot with one this version reads, so it is done once.
 */
export async function closeUnreadableJob(
  loaded: UnreadableJob,
  deps: {
    runtime: ContainerRuntime;
    snapshots: SnapshotStore;
    containerName: string;
    onPhase: PhaseSink;
    logger: Logger;
    now: () => Date;
  },
): Promise<void> {
  const why =
    loaded.kind === 'incompatible'
      ? `snapshot written by machine version ${loaded.machineVersion}, this agent runs ${MACHINE_VERSION}`
      : `snapshot unreadable: ${loaded.error}`;
  deps.logger.error({ jobId: loaded.jobId, reason: why }, 'cannot resume update job');
  const raw =
    loaded.kind === 'incompatible'
      ? (loaded.raw as Partial<JobRecord<Partial<UpdateJobContext>>>)
      : {};
  const correlationId = raw.context?.correlationId ?? loaded.jobId;
  const aside = typeof raw.context?.backupName === 'string' ? [raw.context.backupName] : [];
  await recoverWorkload(deps.runtime, deps.containerName, aside, deps.logger);
  const at = deps.now().toISOString();
  const error = { code: 'incompatible_snapshot', message: why };
  await deps.onPhase({ jobId: loaded.jobId, correlationId, phase: 'failed', at, error });
  await deps.snapshots.save({
    jobId: loaded.jobId,
    machineVersion: MACHINE_VERSION,
    state: 'failed',
    context: { ...raw.context, error, cleanupDone: true } as UpdateJobContext,
    log: [
      ...(raw.log ?? []),
      {
        at,
        from: raw.state ?? null,
        to: 'failed',
        event: 'RECOVERED',
        reason: `${error.code}: ${why}`,
      },
    ],
    reportedThrough: (raw.log?.length ?? 0) + 1,
    createdAt: raw.createdAt ?? at,
    updatedAt: at,
  });
}
