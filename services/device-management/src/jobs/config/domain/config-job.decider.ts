import type { ConfigPhase, ConfigStatusReport } from '@opcfleet/contracts';
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
import type { ConfigChangeRequested, ConfigJobEvent } from './config-job.events';

export type ConfigJobStatus =
  'Requested' | 'Dispatched' | 'InProgress' | 'Applied' | 'Rejected' | 'TimedOut' | 'Cancelled';

export const FINAL_CONFIG_STATUSES: readonly ConfigJobStatus[] = [
  'Applied',
  'Rejected',
  'TimedOut',
  'Cancelled',
];

export interface ConfigJob extends JobTrack {
  request: ConfigChangeRequested['data'];
  status: ConfigJobStatus;
  phase?: ConfigPhase;
  failure?: { reason: string; code?: string; fieldErrors?: { path: string; message: string }[] };
}

export type ConfigJobState = ConfigJob | null;
export const initialConfigJobState: ConfigJobState = null;

export type ConfigJobCommand =
  { type: 'RequestConfigChange'; data: ConfigChangeRequested['data'] } | JobLifecycleCommand;

/** What config jobs add to the shared lifecycle (jobs/domain/job-lifecycle.ts). */
export const CONFIG_JOB_RULES: JobLifecycleRules<'config', ConfigJob, ConfigJobEvent> = {
  kind: 'config',
  eventTypes: {
    requested: 'ConfigChangeRequested',
    dispatched: 'ConfigCommandDispatched',
    timedOut: 'ConfigTimedOut',
    cancelled: 'ConfigCancelled',
  },
  finalStatuses: FINAL_CONFIG_STATUSES,
  eventForReport,
  // The agent applies a config in one step once received: only an unreceived one can stop.
  refusesCancel: (job) =>
    job.phase
      ? new DomainError(
          'job_not_cancellable',
          `job ${job.request.jobId} was already received by the device`,
          { jobId: job.request.jobId, phase: job.phase },
        )
      : undefined,
  timedOutFacts: () => ({}),
  evolveReport,
};

export const isConfigJobFinal = (job: ConfigJob) => isFinal(CONFIG_JOB_RULES, job);

export function decideConfigJob(
  command: ConfigJobCommand,
  state: ConfigJobState,
): ConfigJobEvent[] {
  if (command.type === 'RequestConfigChange') {
    if (state) throw new DomainError('already_exists', `config job ${state.request.jobId} exists`);
    return [{ type: 'ConfigChangeRequested', data: command.data }];
  }
  return decideLifecycle(CONFIG_JOB_RULES, command, state);
}

function eventForReport(report: ConfigStatusReport, job: ConfigJob): ConfigJobEvent {
  const facts = {
    jobId: job.request.jobId,
    seq: report.seq,
    at: report.at,
    ...(report.version ? { version: report.version } : {}),
  };
  if (report.phase === 'received') return { type: 'ConfigReceived', data: facts };
  if (report.phase === 'applied') {
    return { type: 'ConfigApplied', data: { ...facts, configVersion: report.configVersion } };
  }
  return {
    type: 'ConfigRejected',
    data: {
      ...facts,
      reason: report.error?.message ?? 'the device rejected the configuration',
      ...(report.error?.code ? { code: report.error.code } : {}),
      ...(report.error?.fieldErrors ? { fieldErrors: report.error.fieldErrors } : {}),
    },
  };
}

export const evolveConfigJob = (state: ConfigJobState, event: ConfigJobEvent): ConfigJobState =>
  evolveLifecycle(CONFIG_JOB_RULES, state, event);

/** Evolve step for the events of a device report. */
function evolveReport(state: ConfigJob, event: ConfigJobEvent): ConfigJob {
  switch (event.type) {
    case 'ConfigReceived':
      return {
        ...withReportSeq(state, event.data.seq, event.data.at, 'received'),
        status: 'InProgress',
      };
    case 'ConfigApplied':
      return {
        ...withReportSeq(state, event.data.seq, event.data.at, 'applied'),
        status: 'Applied',
        finishedAt: event.data.at,
      };
    case 'ConfigRejected': {
      const reported = event.data.seq
        ? withReportSeq(state, event.data.seq, event.data.at, 'rejected')
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
    default:
      return state;
  }
}

export const foldConfigJob = (events: readonly ConfigJobEvent[]): ConfigJobState =>
  events.reduce(evolveConfigJob, initialConfigJobState);
