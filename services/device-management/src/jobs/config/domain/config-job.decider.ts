import type { ConfigPhase } from '@opcfleet/contracts';
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
import type { ConfigChangeRequested, ConfigJobEvent } from './config-job.events';

export type ConfigJobStatus =
  'Requested' | 'Dispatched' | 'InProgress' | 'Applied' | 'Rejected' | 'TimedOut' | 'Cancelled';

export const FINAL_CONFIG_STATUSES: readonly ConfigJobStatus[] = [
  'Applied',
  'Rejected',
  'TimedOut',
  'Cancelled',
];

export interface ConfigJob {
  request: ConfigChangeRequested['data'];
  status: ConfigJobStatus;
  phase?: ConfigPhase;
  lastSeq: number;
  seenSeqs: number[];
  dispatchedMessageIds: string[];
  dispatchedAt?: IsoTimestamp;
  startedAt?: IsoTimestamp;
  finishedAt?: IsoTimestamp;
  failure?: { reason: string; code?: string; fieldErrors?: { path: string; message: string }[] };
}

export type ConfigJobState = ConfigJob | null;
export const initialConfigJobState: ConfigJobState = null;

export const isConfigJobFinal = (job: ConfigJob) => FINAL_CONFIG_STATUSES.includes(job.status);

export type ConfigJobCommand =
  { type: 'RequestConfigChange'; data: ConfigChangeRequested['data'] } | JobLifecycleCommand;

export function decideConfigJob(
  command: ConfigJobCommand,
  state: ConfigJobState,
): ConfigJobEvent[] {
  if (command.type === 'RequestConfigChange') {
    if (state) throw new DomainError('already_exists', `config job ${state.request.jobId} exists`);
    return [{ type: 'ConfigChangeRequested', data: command.data }];
  }
  if (!state) throw new DomainError('not_found', 'config job not found');
  const jobId = state.request.jobId;
  switch (command.type) {
    case 'RecordDispatch': {
      const dispatch = dispatchToRecord(state, command.data);
      return dispatch ? [{ type: 'ConfigCommandDispatched', data: dispatch }] : [];
    }
    case 'IngestReport': {
      const { report } = command.data;
      const screened = screenReport(state, 'config', isConfigJobFinal(state), report);
      if (screened === 'duplicate') return [];
      if (screened) return [screened];
      if (report.jobKind !== 'config') return []; // narrows the type: screened above
      const facts = {
        jobId,
        seq: report.seq,
        at: report.at,
        ...(report.version ? { version: report.version } : {}),
      };
      if (report.phase === 'received') return [{ type: 'ConfigReceived', data: facts }];
      if (report.phase === 'applied') {
        return [{ type: 'ConfigApplied', data: { ...facts, configVersion: report.configVersion } }];
      }
      return [
        {
          type: 'ConfigRejected',
          data: {
            ...facts,
            reason: report.error?.message ?? 'the device rejected the configuration',
            ...(report.error?.code ? { code: report.error.code } : {}),
            ...(report.error?.fieldErrors ? { fieldErrors: report.error.fieldErrors } : {}),
          },
        },
      ];
    }
    case 'TimeOut':
      return isConfigJobFinal(state)
        ? []
        : [{ type: 'ConfigTimedOut', data: { jobId, at: command.data.at } }];
    case 'Cancel':
      if (isConfigJobFinal(state)) {
        throw new DomainError('job_final', `job ${jobId} already ended as ${state.status}`, {
          jobId,
          status: state.status,
        });
      }
      // The agent applies a config in one step once received: only an unreceived one can stop.
      if (state.phase) {
        throw new DomainError(
          'job_not_cancellable',
          `job ${jobId} was already received by the device`,
          { jobId, phase: state.phase },
        );
      }
      return [{ type: 'ConfigCancelled', data: { jobId, ...command.data } }];
  }
}

export function evolveConfigJob(state: ConfigJobState, event: ConfigJobEvent): ConfigJobState {
  if (event.type === 'ConfigChangeRequested') {
    return { request: event.data, ...newJobTrack() };
  }
  if (!state) return state;
  switch (event.type) {
    case 'ConfigCommandDispatched':
      return withDispatch(state, event.data.messageId, event.data.dispatchedAt);
    case 'ConfigReceived':
      return {
        ...withReport(state, event.data.seq, event.data.at, 'received'),
        status: 'InProgress',
      };
    case 'ConfigApplied':
      return {
        ...withReport(state, event.data.seq, event.data.at, 'applied'),
        status: 'Applied',
        finishedAt: event.data.at,
      };
    case 'ConfigRejected': {
      const reported = event.data.seq
        ? withReport(state, event.data.seq, event.data.at, 'rejected')
        : state;
      return {
        ...reported,
        status: 'Rejected',
        finishedAt: event.data.at,
        failure: {
          reason: event.data.reason,
          ...(event.data.code ? { code: event.data.code } : {}),
          ...(event.data.fieldErrors ? { fieldErrors: event.data.fieldErrors } : {}),
        },
      };
    }
    case 'ConfigTimedOut':
      return { ...state, status: 'TimedOut', finishedAt: event.data.at };
    case 'ConfigCancelled':
      return { ...state, status: 'Cancelled', finishedAt: event.data.at };
    case 'CancelAcknowledged':
      return withReport(state, event.data.seq, event.data.at, event.data.phase as ConfigPhase);
    case 'StatusReportIgnored':
      return withIgnoredSeq(state, event.data.seq);
  }
}

const withReport = (state: ConfigJob, seq: number, at: IsoTimestamp, phase: ConfigPhase) =>
  withReportSeq(state, seq, at, phase);

export const foldConfigJob = (events: readonly ConfigJobEvent[]): ConfigJobState =>
  events.reduce(evolveConfigJob, initialConfigJobState);
