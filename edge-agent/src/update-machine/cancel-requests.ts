/**
 * What a cancel did: `cancelled` (stopped and saved as such), `too_late` (past the point of no
 * return, or already over: `state` says where), `pending` (an unfinished job not being driven
 * right now: it stops when it resumes), `unknown` (no such job here).
 */
export type CancelOutcome =
  | { outcome: 'cancelled' }
  | { outcome: 'too_late'; state: string }
  | { outcome: 'pending' }
  | { outcome: 'unknown' };

interface CancelRequest {
  outcome: Promise<CancelOutcome>;
  settle: (outcome: CancelOutcome) => void;
}

/** Cancels asked for and not decided yet, by job id; every asker of a job gets one answer. */
export class CancelRequests {
  private readonly waiting = new Map<string, CancelRequest>();

  has(jobId: string): boolean {
    return this.waiting.has(jobId);
  }

  /** The answer already promised for this job, if it was asked before. */
  pending(jobId: string): Promise<CancelOutcome> | undefined {
    return this.waiting.get(jobId)?.outcome;
  }

  ask(jobId: string): Promise<CancelOutcome> {
    let settle!: (outcome: CancelOutcome) => void;
    const outcome = new Promise<CancelOutcome>((resolve) => (settle = resolve));
    this.waiting.set(jobId, { outcome, settle });
    return outcome;
  }

  /** Answers and forgets the job's cancel; nothing happens when none was asked. */
  settle(jobId: string, outcome: CancelOutcome): void {
    const request = this.waiting.get(jobId);
    this.waiting.delete(jobId);
    request?.settle(outcome);
  }
}
