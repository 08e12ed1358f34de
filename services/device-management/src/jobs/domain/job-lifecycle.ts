import type { StatusReport } from '@opcfleet/contracts';
import { DomainError } from '../../shared/domain/domain-error';
import type { DomainEvent, IsoTimestamp, JobKind } from '../../shared/domain/domain-event';
import type {
  CancelAcknowledged,
  CommandDispatchedData,
  JobCancelledData,
  LifecycleEventTypes,
  StatusReportIgnored,
} from './job-lifecycle.events';

/**
 * The lifecycle every kind of job shares: requested, dispatched, reported on, ended by the
 * device, timed out or cancelled. One decider and one evolve for all kinds; what differs
 * between kinds (event names, how a report maps to an event, until when a job may be
 * cancelled, what a report changes in the state) comes in as the kind's JobLifecycleRules.
 */

/** What the lifecycle keeps of every job, whatever its kind. */
export interface JobTrack {
  request: { jobId: string };
  status: string;
  /** Phase of the report with the highest seq: out-of-order reports never move it back. */
  phase?: string;
  lastSeq: number;
  /** Every seq already ingested (applied or ignored): the deduplication set. */
  seenSeqs: number[];
  dispatchedMessageIds: string[];
  dispatchedAt?: IsoTimestamp;
  startedAt?: IsoTimestamp;
  finishedAt?: IsoTimestamp;
}

export interface DispatchFacts {
  messageId: string;
  topic: string;
  at: IsoTimestamp;
}

/** The commands every job accepts once it exists, whatever its kind. */
export type JobLifecycleCommand =
  | { type: 'RecordDispatch'; data: DispatchFacts }
  | { type: 'IngestReport'; data: { report: StatusReport } }
  | { type: 'TimeOut'; data: { at: IsoTimestamp } }
  | { type: 'Cancel'; data: { at: IsoTimestamp; reason?: string } };

/** The report of one kind of job (the contracts' union narrowed by `jobKind`). */
export type ReportOf<Kind extends JobKind> = Extract<StatusReport, { jobKind: Kind }>;

/** What one kind of job adds to the shared lifecycle. */
export interface JobLifecycleRules<
  Kind extends JobKind,
  Job extends JobTrack,
  Event extends DomainEvent,
> {
  kind: Kind;
  /** The names under which this kind stores the lifecycle's events. */
  eventTypes: { [Name in keyof LifecycleEventTypes]: Event['type'] };
  /** Statuses after which the job waits for nothing more. */
  finalStatuses: readonly Job['status'][];
  /** The event of a report of this kind that is to be applied (new seq, job running). */
  eventForReport(report: ReportOf<Kind>, job: Job): Event;
  /** Why this running job can no longer be cancelled; undefined while it can. */
  refusesCancel(job: Job): DomainError | undefined;
  /** What the time-out event says besides the job and the time (update: the last phase). */
  timedOutFacts(job: Job): Record<string, unknown>;
  /** Evolve step for the kind's own report events. */
  evolveReport(job: Job, event: Event): Job;
}

type AnyRules = JobLifecycleRules<JobKind, JobTrack, DomainEvent>;

export const isFinal = <Job extends JobTrack>(
  rules: { finalStatuses: readonly Job['status'][] },
  job: Job,
) => rules.finalStatuses.includes(job.status);

/** A command on an existing job of the kind `rules` describe. */
export function decideLifecycle<
  Kind extends JobKind,
  Job extends JobTrack,
  Event extends DomainEvent,
>(
  rules: JobLifecycleRules<Kind, Job, Event>,
  command: JobLifecycleCommand,
  state: Job | null,
): Event[] {
  const decided = decideOnTrack(rules as unknown as AnyRules, command, state);
  return decided as Event[];
}

function decideOnTrack(
  rules: AnyRules,
  command: JobLifecycleCommand,
  state: JobTrack | null,
): DomainEvent[] {
  if (!state) throw new DomainError('not_found', `${rules.kind} job not found`);
  const jobId = state.request.jobId;
  switch (command.type) {
    case 'RecordDispatch': {
      const dispatch = dispatchToRecord(state, command.data);
      return dispatch ? [{ type: rules.eventTypes.dispatched, data: dispatch }] : [];
    }
    case 'IngestReport': {
      const { report } = command.data;
      const screened = screenReport(state, rules.kind, isFinal(rules, state), report);
      if (screened === 'duplicate') return [];
      if (screened) return [screened];
      return [rules.eventForReport(report, state)];
    }
    case 'TimeOut':
      if (isFinal(rules, state)) return [];
      return [
        {
          type: rules.eventTypes.timedOut,
          data: { jobId, at: command.data.at, ...rules.timedOutFacts(state) },
        },
      ];
    case 'Cancel': {
      if (isFinal(rules, state)) {
        throw new DomainError('job_final', `job ${jobId} already ended as ${state.status}`, {
          jobId,
          status: state.status,
        });
      }
      const refusal = rules.refusesCancel(state);
      if (refusal) throw refusal;
      const cancelled: JobCancelledData = { jobId, ...command.data };
      return [{ type: rules.eventTypes.cancelled, data: cancelled }];
    }
  }
}

/** Evolve of a job of the kind `rules` describe: the lifecycle's events, then the kind's own. */
export function evolveLifecycle<
  Kind extends JobKind,
  Job extends JobTrack,
  Event extends DomainEvent,
>(rules: JobLifecycleRules<Kind, Job, Event>, state: Job | null, event: Event): Job | null {
  const { eventTypes } = rules;
  if (event.type === eventTypes.requested) {
    return { request: event.data, ...newJobTrack() } as unknown as Job;
  }
  if (!state) return state;
  switch (event.type) {
    case eventTypes.dispatched: {
      const { messageId, dispatchedAt } = event.data as CommandDispatchedData;
      return withDispatch(state, messageId, dispatchedAt);
    }
    case eventTypes.timedOut:
      return { ...state, status: 'TimedOut', finishedAt: (event.data as { at: string }).at };
    case eventTypes.cancelled:
      return { ...state, status: 'Cancelled', finishedAt: (event.data as JobCancelledData).at };
    case 'CancelAcknowledged': {
      const { seq, at, phase } = (event as unknown as CancelAcknowledged).data;
      return withReportSeq(state, seq, at, phase);
    }
    case 'StatusReportIgnored':
      return withIgnoredSeq(state, (event as unknown as StatusReportIgnored).data.seq);
    default:
      return rules.evolveReport(state, event);
  }
}

export const newJobTrack = () => ({
  status: 'Requested' as const,
  lastSeq: 0,
  seenSeqs: [] as number[],
  dispatchedMessageIds: [] as string[],
});

/**
 * The dispatch to record, or undefined for a message already recorded. A publish is a fact an
 * auditor needs even when it is recorded after the job ended (the device can finish before the
 * dispatcher records its PUBACK): it is kept, and evolve never moves a status back for it.
 */
export function dispatchToRecord(
  job: JobTrack,
  { messageId, topic, at }: DispatchFacts,
): CommandDispatchedData | undefined {
  if (job.dispatchedMessageIds.includes(messageId)) return undefined;
  return { jobId: job.request.jobId, messageId, topic, dispatchedAt: at };
}

/**
 * How a device says it did not carry out a job because it was cancelled: it stopped the job
 * before changing anything (`cancelled`), or refused its command, the cancel having come
 * first (`rejected` with code `cancelled`).
 */
export const acknowledgesCancel = (report: StatusReport) =>
  report.phase === 'cancelled' ||
  (report.phase === 'rejected' && report.error?.code === 'cancelled');

/**
 * Screens a report before the kind maps it: `duplicate` for a seq already ingested,
 * CancelAcknowledged for the device's confirmation that a cancelled job stopped, the
 * StatusReportIgnored event for a report of the wrong kind or after the end, undefined when
 * the report is to be applied (it is then of `kind`).
 */
export function screenReport<Kind extends JobKind>(
  job: JobTrack,
  kind: Kind,
  final: boolean,
  report: StatusReport,
): 'duplicate' | CancelAcknowledged | StatusReportIgnored | undefined {
  if (job.seenSeqs.includes(report.seq)) return 'duplicate';
  if (report.jobKind === kind && !final) return undefined;
  if (report.jobKind === kind && job.status === 'Cancelled' && acknowledgesCancel(report)) {
    return {
      type: 'CancelAcknowledged',
      data: {
        jobId: job.request.jobId,
        seq: report.seq,
        phase: report.phase,
        at: report.at,
        ...(report.version ? { version: report.version } : {}),
      },
    };
  }
  return {
    type: 'StatusReportIgnored',
    data: {
      jobId: job.request.jobId,
      seq: report.seq,
      phase: report.phase,
      at: report.at,
      reason: report.jobKind !== kind ? 'wrong_job_kind' : 'job_final',
      ...(report.error ? { error: report.error } : {}),
    },
  };
}

/** Evolve step for ...CommandDispatched: the first dispatch moves Requested to Dispatched. */
export function withDispatch<T extends JobTrack>(job: T, messageId: string, at: IsoTimestamp): T {
  return {
    ...job,
    status: job.status === 'Requested' ? 'Dispatched' : job.status,
    dispatchedAt: job.dispatchedAt ?? at,
    dispatchedMessageIds: [...job.dispatchedMessageIds, messageId],
  };
}

/** Evolve step for a report: its seq is seen; the phase follows the highest seq only. */
export function withReportSeq<T extends JobTrack>(
  job: T,
  seq: number,
  at: IsoTimestamp,
  phase: string,
): T {
  const newest = seq > job.lastSeq;
  return {
    ...job,
    seenSeqs: [...job.seenSeqs, seq],
    lastSeq: Math.max(job.lastSeq, seq),
    phase: newest ? phase : job.phase,
    startedAt: job.startedAt ?? at,
  };
}

export const withIgnoredSeq = <T extends JobTrack>(job: T, seq: number): T => ({
  ...job,
  seenSeqs: [...job.seenSeqs, seq],
});
