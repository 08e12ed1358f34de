import type { ClientCommand } from '../../clients/domain/client.decider';
import type { ConfigOutcome, UpdateOutcome } from '../../clients/domain/client.events';
import {
  decideConfigJob,
  evolveConfigJob,
  isConfigJobFinal,
  type ConfigJob,
  type ConfigJobState,
} from '../config/domain/config-job.decider';
import type { ConfigJobEvent } from '../config/domain/config-job.events';
import type { IsoTimestamp } from '../../shared/domain/domain-event';
import {
  decideUpdateJob,
  evolveUpdateJob,
  isUpdateJobFinal,
  type UpdateJob,
  type UpdateJobState,
  type UpdateJobStatus,
} from '../update/domain/update-job.decider';
import type { UpdateJobEvent } from '../update/domain/update-job.events';
import type { JobLifecycleCommand } from './job-lifecycle';

/** A job of either kind: the kind tells which decider owns the state. */
export type Job = { kind: 'update'; state: UpdateJob } | { kind: 'config'; state: ConfigJob };

export type JobEvent = UpdateJobEvent | ConfigJobEvent;

/** A command every job accepts, decided by the decider of the job's kind. */
export function decideJob(command: JobLifecycleCommand, job: Job): JobEvent[] {
  return job.kind === 'update'
    ? decideUpdateJob(command, job.state)
    : decideConfigJob(command, job.state);
}

export function evolveJob<J extends Job>(job: J, events: readonly JobEvent[]): J {
  if (job.kind === 'update') {
    const state = (events as UpdateJobEvent[]).reduce<UpdateJobState>(evolveUpdateJob, job.state);
    return { ...job, state: state! };
  }
  const state = (events as ConfigJobEvent[]).reduce<ConfigJobState>(evolveConfigJob, job.state);
  return { ...job, state: state! };
}

const UPDATE_OUTCOMES: Partial<Record<UpdateJobStatus, UpdateOutcome>> = {
  Succeeded: 'succeeded',
  Failed: 'failed',
  RolledBack: 'rolled_back',
  TimedOut: 'timed_out',
  Cancelled: 'cancelled',
};
const CONFIG_OUTCOMES: Partial<Record<ConfigJob['status'], ConfigOutcome>> = {
  Applied: 'applied',
  Rejected: 'rejected',
  TimedOut: 'timed_out',
  Cancelled: 'cancelled',
};

/** The client command that records this job's end, or undefined while it runs. */
export function endOf(
  job: Job,
  at: IsoTimestamp,
): Extract<ClientCommand, { type: 'EndUpdate' | 'EndConfig' }> | undefined {
  const jobId = job.state.request.jobId;
  if (job.kind === 'update') {
    if (!isUpdateJobFinal(job.state)) return undefined;
    return {
      type: 'EndUpdate' as const,
      data: {
        jobId,
        outcome: UPDATE_OUTCOMES[job.state.status]!,
        // The version the device runs afterwards: the new one, or the old one after a rollback.
        ...(job.state.reportedVersion && ['Succeeded', 'RolledBack'].includes(job.state.status)
          ? { version: job.state.reportedVersion }
          : {}),
        at: job.state.finishedAt ?? at,
      },
    };
  }
  if (!isConfigJobFinal(job.state)) return undefined;
  return {
    type: 'EndConfig' as const,
    data: {
      jobId,
      version: job.state.request.version,
      outcome: CONFIG_OUTCOMES[job.state.status]!,
      at: job.state.finishedAt ?? at,
    },
  };
}
