import type { JobEvent } from './api-client';

/**
 * Sequence numbers of the device's reports recorded in a job's stream, in stream order. A
 * report that came after the job ended (StatusReportIgnored: e.g. `received` of a job already
 * cancelled) is recorded too, and counts: it is neither lost nor to be sent again.
 */
export function reportSeqs(events: JobEvent[]): number[] {
  return events.filter((e) => typeof e.data.seq === 'number').map((e) => e.data.seq as number);
}

/**
 * What "no event lost, none applied twice" means for one job: the device numbered its reports
 * 1..lastSeq (its durable ledger says how far it got), and the stream holds each of them
 * exactly once, in order. Returns the problems; empty when the history is exact.
 */
export function historyProblems(events: JobEvent[], deviceLastSeq: number): string[] {
  const seqs = reportSeqs(events);
  const problems: string[] = [];
  const seen = new Set<number>();
  for (const seq of seqs) {
    if (seen.has(seq)) problems.push(`report ${seq} applied twice`);
    seen.add(seq);
  }
  for (let seq = 1; seq <= deviceLastSeq; seq += 1) {
    if (!seen.has(seq)) problems.push(`report ${seq} lost`);
  }
  for (const seq of seen) {
    if (seq > deviceLastSeq) problems.push(`report ${seq} never sent by the device`);
  }
  const sorted = [...seqs].sort((a, b) => a - b);
  if (sorted.join(',') !== seqs.join(',')) problems.push(`reports out of order: ${seqs.join(',')}`);
  if (events.filter((e) => e.type.endsWith('Requested')).length !== 1) {
    problems.push('the stream does not start with exactly one request');
  }
  return problems;
}

export const eventTypes = (events: JobEvent[]) => events.map((e) => e.type);

/** Report events that carry the phase in their type rather than in `data.phase`. */
const PHASE_OF_TYPE: Record<string, string> = {
  UpdateReceived: 'received',
  UpdateSucceeded: 'committed',
  UpdateRolledBack: 'rolled_back',
  ConfigReceived: 'received',
  ConfigApplied: 'applied',
};

/**
 * Every phase the device reported for the job, in stream order, whether the job applied it,
 * ignored it (it had ended) or took it as the confirmation of a cancel.
 */
export function reportedPhases(events: JobEvent[]): string[] {
  return events
    .filter((e) => typeof e.data.seq === 'number')
    .map((e) => PHASE_OF_TYPE[e.type] ?? String(e.data.phase));
}
