import type { StatusReport } from '@opcfleet/contracts';
import type { IsoTimestamp, JobKind } from '../../shared/domain/domain-event';
import type { CancelAcknowledged, StatusReportIgnored } from '../update/domain/update-job.events';

/**
 * What update and config jobs do alike: dispatch records, report screening, and the state
 * those keep. The deciders of each kind call these and add their own events.
 */
export interface JobTrack {
  request: { jobId: string };
  status: string;
  lastSeq: number;
  /** Every seq already ingested (applied or ignored): the deduplication set. */
  seenSeqs: number[];
  dispatchedMessageIds: string[];
  dispatchedAt?: IsoTimestamp;
}

export const newJobTrack = () => ({
  status: 'Requested' as const,
  lastSeq: 0,
  seenSeqs: [] as number[],
  dispatchedMessageIds: [] as string[],
});

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

/**
 * The dispatch to record, or undefined for a message already recorded. A publish is a fact an
 * auditor needs even when it is recorded after the job ended (the device can finish before the
 * dispatcher records its PUBACK): it is kept, and evolve never moves a status back for it.
 */
export function dispatchToRecord(job: JobTrack, { messageId, topic, at }: DispatchFacts) {
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
 * Screens a report before a decider maps it: `duplicate` for a seq already ingested,
 * CancelAcknowledged for the device's confirmation that a cancelled job stopped, the
 * StatusReportIgnored event for a report of the wrong kind or after the end, undefined when
 * the report is to be applied.
 */
export function screenReport(
  job: JobTrack,
  kind: JobKind,
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
export function withReportSeq<T extends JobTrack & { phase?: P; startedAt?: IsoTimestamp }, P>(
  job: T,
  seq: number,
  at: IsoTimestamp,
  phase: P,
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
