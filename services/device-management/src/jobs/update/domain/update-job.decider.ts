import type { UpdatePhase, UpdateStatusReport } from '@opcfleet/contracts';
import type { IsoTimestamp } from '../../../shared/domain/domain-event';
import {
  dispatchToRecord,
  type JobLifecycleCommand,
  newJobTrack,
  screenReport,
  withDispatch,
  withIgnoredSeq,
  withReportSeq,
} from '../../domain/job-lifecycle';
import { DomainError } from '../../../shared/domain/domain-error';
import type { ReportFacts, UpdateJobEvent, UpdateRequested } from './update-job.events';

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

export interface UpdateJob {
  request: UpdateRequested['data'];
  status: UpdateJobStatus;
  /** Phase of the report with the highest seq: out-of-order reports never move it back. */
  phase?: UpdatePhase;
  lastSeq: number;
  /** Every seq already ingested (applied or ignored): the deduplication set. */
  seenSeqs: number[];
  dispatchedMessageIds: string[];
  dispatchedAt?: IsoTimestamp;
  startedAt?: IsoTimestamp;
  finishedAt?: IsoTimestamp;
  reportedVersion?: string;
  progress?: { bytes: number; totalBytes?: number; percent?: number };
  failure?: { reason: string; code: string };
  rollback?: { reason: string };
}

/** No stream yet. */
export type UpdateJobState = UpdateJob | null;
export const initialUpdateJobState: UpdateJobState = null;

export const isUpdateJobFinal = (job: UpdateJob) => FINAL_UPDATE_STATUSES.includes(job.status);

export type UpdateJobCommand =
  { type: 'RequestUpdate'; data: UpdateRequested['data'] } | JobLifecycleCommand;

export function decideUpdateJob(
  command: UpdateJobCommand,
  state: UpdateJobState,
): UpdateJobEvent[] {
  if (command.type === 'RequestUpdate') {
    if (state) throw new DomainError('already_exists', `update job ${state.request.jobId} exists`);
    return [{ type: 'UpdateRequested', data: command.data }];
  }
  if (!state) throw new DomainError('not_found', 'update job not found');
  const jobId = state.request.jobId;
  switch (command.type) {
    case 'RecordDispatch': {
      const dispatch = dispatchToRecord(state, command.data);
      return dispatch ? [{ type: 'UpdateCommandDispatched', data: dispatch }] : [];
    }
    case 'IngestReport': {
      const { report } = command.data;
      const screened = screenReport(state, 'update', isUpdateJobFinal(state), report);
      if (screened === 'duplicate') return [];
      if (screened) return [screened];
      if (report.jobKind !== 'update') return []; // narrows the type: screened above
      return [eventForReport(report)];
    }
    case 'TimeOut':
      if (isUpdateJobFinal(state)) return [];
      return [
        {
          type: 'UpdateTimedOut',
          data: { jobId, at: command.data.at, ...(state.phase ? { lastPhase: state.phase } : {}) },
        },
      ];
    case 'Cancel':
      if (isUpdateJobFinal(state)) {
        throw new DomainError('job_final', `job ${jobId} already ended as ${state.status}`, {
          jobId,
          status: state.status,
        });
      }
      if (state.phase && !PHASES_BEFORE_SWAP.includes(state.phase)) {
        throw new DomainError(
          'job_not_cancellable',
          `job ${jobId} is past the point of no return (phase ${state.phase})`,
          { jobId, phase: state.phase },
        );
      }
      return [{ type: 'UpdateCancelled', data: { jobId, ...command.data } }];
  }
}

function eventForReport(report: UpdateStatusReport): UpdateJobEvent {
  const facts: ReportFacts = {
    jobId: report.jobId,
    seq: report.seq,
    at: report.at,
    ...(report.version ? { version: report.version } : {}),
  };
  switch (report.phase) {
    case 'received':
      return { type: 'UpdateReceived', data: facts };
    case 'committed':
      return { type: 'UpdateSucceeded', data: facts };
    case 'rolled_back':
      return {
        type: 'UpdateRolledBack',
        data: { ...facts, reason: report.error?.message ?? 'rolled back by the device' },
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

export function evolveUpdateJob(state: UpdateJobState, event: UpdateJobEvent): UpdateJobState {
  if (event.type === 'UpdateRequested') {
    return { request: event.data, ...newJobTrack() };
  }
  if (!state) return state;
  switch (event.type) {
    case 'UpdateCommandDispatched':
      return withDispatch(state, event.data.messageId, event.data.dispatchedAt);
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
      };
    }
    case 'UpdateRolledBack':
      return {
        ...withReport(state, event.data, 'rolled_back'),
        status: 'RolledBack',
        finishedAt: event.data.at,
        rollback: { reason: event.data.reason },
      };
    case 'UpdateTimedOut':
      return { ...state, status: 'TimedOut', finishedAt: event.data.at };
    case 'UpdateCancelled':
      return { ...state, status: 'Cancelled', finishedAt: event.data.at };
    case 'CancelAcknowledged':
      return withReportSeq(state, event.data.seq, event.data.at, event.data.phase as UpdatePhase);
    case 'StatusReportIgnored':
      return withIgnoredSeq(state, event.data.seq);
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
