import type { UpdatePhase, UpdateStatusReport } from '@opcfleet/contracts';
import { DomainError } from '../../../shared/domain/domain-error';
import {
  decideLifecycle,
  evolveLifecycle,
  isFinal,
  withReportSeq,
  type JobLifecycleCommand,
  type JobLifecycleRules,
  type JobTrack,
} from '../../domain/job-lifecycle';
import type { ReportFacts } from '../../domain/job-lifecycle.events';
import type { FailureEvidenceData, UpdateJobEvent, UpdateRequested } from './update-job.events';

export type UpdateJobStatus =
  | 'Requested'
  | 'Dispatched'
  | 'InProgress'
  | 'Succeeded'
  | 'Failed'
  | 'RolledBack'
  | 'TimedOut'
  | 'Cancelled';

export const FINAL_UPDATE_STATUSES: readonly UpdateJobStatus[] = [
  'Succeeded',
  'Failed',
  'RolledBack',
  'TimedOut',
  'Cancelled',
];

/** Phases after which the device has begun to swap containers: too late to cancel. */
const PHASES_BEFORE_SWAP: readonly UpdatePhase[] = ['received', 'pulling', 'pulled'];

export interface UpdateJob extends JobTrack {
  request: UpdateRequested['data'];
  status: UpdateJobStatus;
  phase?: UpdatePhase;
  reportedVersion?: string;
  progress?: { bytes: number; totalBytes?: number; percent?: number };
  failure?: { reason: string; code: string };
  rollback?: { reason: string };
  /** What the device sent with its failure or rollback report. */
  evidence?: FailureEvidenceData;
}

/** No stream yet. */
export type UpdateJobState = UpdateJob | null;
export const initialUpdateJobState: UpdateJobState = null;

export type UpdateJobCommand =
  { type: 'RequestUpdate'; data: UpdateRequested['data'] } | JobLifecycleCommand;

/** What update jobs add to the shared lifecycle (jobs/domain/job-lifecycle.ts). */
export const UPDATE_JOB_RULES: JobLifecycleRules<'update', UpdateJob, UpdateJobEvent> = {
  kind: 'update',
  eventTypes: {
    requested: 'UpdateRequested',
    dispatched: 'UpdateCommandDispatched',
    timedOut: 'UpdateTimedOut',
    cancelled: 'UpdateCancelled',
  },
  finalStatuses: FINAL_UPDATE_STATUSES,
  eventForReport,
  refusesCancel: (job) =>
    job.phase && !PHASES_BEFORE_SWAP.includes(job.phase)
      ? new DomainError(
          'job_not_cancellable',
          `job ${job.request.jobId} is past the point of no return (phase ${job.phase})`,
          { jobId: job.request.jobId, phase: job.phase },
        )
      : undefined,
  timedOutFacts: (job) => (job.phase ? { lastPhase: job.phase } : {}),
  evolveReport,
};

export const isUpdateJobFinal = (job: UpdateJob) => isFinal(UPDATE_JOB_RULES, job);

export function decideUpdateJob(
  command: UpdateJobCommand,
  state: UpdateJobState,
): UpdateJobEvent[] {
  if (command.type === 'RequestUpdate') {
    if (state) throw new DomainError('already_exists', `update job ${state.request.jobId} exists`);
    return [{ type: 'UpdateRequested', data: command.data }];
  }
  return decideLifecycle(UPDATE_JOB_RULES, command, state);
}

function eventForReport(report: UpdateStatusReport): UpdateJobEvent {
  const facts: ReportFacts = {
    jobId: report.jobId,
    seq: report.seq,
    at: report.at,
    ...(report.version ? { version: report.version } : {}),
  };
  const evidence = report.evidence ? { evidence: report.evidence } : {};
  switch (report.phase) {
    case 'received':
      return { type: 'UpdateReceived', data: facts };
    case 'committed':
      return { type: 'UpdateSucceeded', data: facts };
    case 'rolled_back':
      return {
        type: 'UpdateRolledBack',
        data: {
          ...facts,
          reason: report.error?.message ?? 'rolled back by the device',
          ...evidence,
        },
      };
    // `cancelled` too: devices stop a job only when told to, so one not cancelled here ended
    // on the device without its update.
    case 'failed':
    case 'rejected':
    case 'cancelled':
      return {
        type: 'UpdateFailed',
        data: {
          ...facts,
          phase: report.phase,
          reason: report.error?.message ?? `the device reported ${report.phase}`,
          code: report.error?.code ?? report.phase,
          ...evidence,
        },
      };
    default:
      return {
        type: 'UpdatePhaseReported',
        data: {
          ...facts,
          phase: report.phase,
          ...(report.progress ? { progress: report.progress } : {}),
        },
      };
  }
}

export const evolveUpdateJob = (state: UpdateJobState, event: UpdateJobEvent): UpdateJobState =>
  evolveLifecycle(UPDATE_JOB_RULES, state, event);

/** Evolve step for the events of a device report. */
function evolveReport(state: UpdateJob, event: UpdateJobEvent): UpdateJob {
  switch (event.type) {
    case 'UpdateReceived':
      return withReport(state, event.data, 'received');
    case 'UpdatePhaseReported': {
      const next = withReport(state, event.data, event.data.phase);
      return event.data.progress && event.data.seq >= state.lastSeq
        ? { ...next, progress: event.data.progress }
        : next;
    }
    case 'UpdateSucceeded':
      return {
        ...withReport(state, event.data, 'committed'),
        status: 'Succeeded',
        finishedAt: event.data.at,
        reportedVersion: event.data.version ?? state.request.targetVersion,
      };
    case 'UpdateFailed': {
      const reported = event.data.seq
        ? withReport(state, { ...event.data, seq: event.data.seq }, event.data.phase ?? 'failed')
        : state;
      return {
        ...reported,
        status: 'Failed',
        finishedAt: event.data.at,
        failure: { reason: event.data.reason, code: event.data.code },
        ...(event.data.evidence ? { evidence: event.data.evidence } : {}),
      };
    }
    case 'UpdateRolledBack':
      return {
        ...withReport(state, event.data, 'rolled_back'),
        status: 'RolledBack',
        finishedAt: event.data.at,
        rollback: { reason: event.data.reason },
        ...(event.data.evidence ? { evidence: event.data.evidence } : {}),
      };
    default:
      return state;
  }
}

function withReport(state: UpdateJob, facts: ReportFacts, phase: UpdatePhase): UpdateJob {
  const next = withReportSeq(state, facts.seq, facts.at, phase);
  const newest = facts.seq > state.lastSeq;
  return {
    ...next,
    status: isUpdateJobFinal(state) ? state.status : 'InProgress',
    reportedVersion: newest && facts.version ? facts.version : state.reportedVersion,
  };
}

export const foldUpdateJob = (events: readonly UpdateJobEvent[]): UpdateJobState =>
  events.reduce(evolveUpdateJob, initialUpdateJobState);
