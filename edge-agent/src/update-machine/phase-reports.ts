import type { FailureEvidence, UpdatePhase } from '@opcfleet/contracts';
import type { PullProgress } from '../container-runtime/container-runtime.port';
import type { TransitionLogEntry } from '../snapshot-store/job-record';
import { redact } from './evidence/redaction';
import type { Logger } from './logger';
import { REPORTED_PHASE, type UpdateJobContext, type UpdateJobState } from './update-machine';

/** What the runner tells the link about a job: one per transition, plus pull progress. */
export interface PhaseReport {
  jobId: string;
  correlationId: string;
  /** The job's trace context, sent back so the service's spans join the job's trace. */
  traceparent?: string;
  phase: UpdatePhase;
  at: string;
  version?: string;
  progress?: { bytes: number; totalBytes?: number; percent?: number };
  error?: { code: string; message: string };
  /** With `rolled_back` and `failed`: the failed container's log tail and the agent's lines. */
  evidence?: FailureEvidence;
}

export type PhaseSink = (report: PhaseReport) => Promise<void>;

/**
 * The report of one transition log entry: the phase entered, the version running, why; null
 * for a state the service is not told about (REPORTED_PHASE).
 */
export function phaseReportFor(
  ctx: UpdateJobContext,
  entry: TransitionLogEntry,
  evidence?: FailureEvidence,
  /** Applied to the error's message too: an exec probe's output may carry a secret. */
  redaction: readonly RegExp[] = [],
): PhaseReport | null {
  // A log written by this machine names its states; anything else is reported as written.
  const phase =
    entry.to in REPORTED_PHASE
      ? REPORTED_PHASE[entry.to as UpdateJobState]
      : (entry.to as UpdatePhase);
  if (!phase) return null;
  const report: PhaseReport = {
    jobId: ctx.jobId,
    correlationId: ctx.correlationId,
    ...(ctx.traceparent && { traceparent: ctx.traceparent }),
    phase,
    at: entry.at,
    version: phase === 'committed' ? ctx.targetVersion : ctx.oldVersion,
  };
  const finalFailure = phase === 'failed' || phase === 'rolled_back' || phase === 'rolling_back';
  if (finalFailure && ctx.error) report.error = ctx.error;
  else if (entry.reason) {
    const [code, ...rest] = entry.reason.split(': ');
    report.error = { code: code ?? 'error', message: rest.join(': ') };
  }
  if (report.error)
    report.error = { ...report.error, message: redact(report.error.message, redaction) };
  if (evidence && (phase === 'rolled_back' || phase === 'failed')) report.evidence = evidence;
  return report;
}

/**
 * Throttled pull progress reports, sent in order and all delivered by `drain()`. The bytes
 * never go back: a pull started again (after an engine outage) reports only once it passes
 * what was reported before.
 */
export function pullProgressReporter(
  ctx: UpdateJobContext,
  deps: { onPhase: PhaseSink; logger: Logger; now: () => Date; intervalMs: number },
) {
  let chain = Promise.resolve();
  let lastAt = 0;
  let reportedBytes = -1;
  return {
    report: (progress: PullProgress, final = false) => {
      const nowMs = deps.now().getTime();
      if (progress.bytes < reportedBytes) return;
      if (!final && nowMs - lastAt < deps.intervalMs) return;
      lastAt = nowMs;
      reportedBytes = progress.bytes;
      chain = chain
        .then(() =>
          deps.onPhase({
            jobId: ctx.jobId,
            correlationId: ctx.correlationId,
            ...(ctx.traceparent && { traceparent: ctx.traceparent }),
            phase: 'pulling',
            at: new Date(nowMs).toISOString(),
            version: ctx.oldVersion,
            progress,
          }),
        )
        .catch((error: unknown) =>
          deps.logger.warn({ jobId: ctx.jobId, err: error }, 'pull progress report failed'),
        );
    },
    drain: () => chain,
  };
}
