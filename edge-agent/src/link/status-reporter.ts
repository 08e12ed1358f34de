import {
  FINAL_CONFIG_PHASES,
  FINAL_UPDATE_PHASES,
  STATUS_REPORT_SCHEMA,
  statusTopic,
  validateStatusReport,
  type ClientAddress,
  type ConfigPhase,
  type StatusError,
  type StatusReport,
} from '@opcfleet/contracts';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { PhaseReport } from '../update-machine/phase-reports';
import type { JobLedger, JobRecord } from './job-ledger';
import type { Outbox } from './outbox';

/** A report before the reporter numbers and addresses it. */
export type ReportDraft =
  | ({ jobKind: 'update' } & PhaseReport)
  | {
      jobKind: 'config';
      jobId: string;
      correlationId: string;
      phase: ConfigPhase;
      at: string;
      configVersion: number;
      version?: string;
      error?: StatusError;
    };

/** Publishes one message at QoS 1; resolves on PUBACK. */
export interface ReportPublisher {
  publish(topic: string, payload: string): Promise<void>;
}

export class InvalidReportError extends Error {
  constructor(readonly problems: string[]) {
    super(`status report would not pass the contract: ${problems.join('; ')}`);
    this.name = 'InvalidReportError';
  }
}

/**
 * Numbers each job's reports (seq from 1), stores them in the outbox before anything is sent,
 * then drains the outbox in order, one report in flight at a time so a reconnect cannot
 * reorder them. All writes go through one queue: the seq of a job never repeats or goes back.
 */
export class StatusReporter {
  private writes: Promise<unknown> = Promise.resolve();
  private draining: Promise<void> | null = null;
  private publisher: ReportPublisher | null = null;

  constructor(
    private readonly deps: {
      address: ClientAddress;
      ledger: JobLedger;
      outbox: Outbox;
      logger: Logger;
      /** Called after each report is written, with what was written. */
      onReport?: (report: StatusReport) => void;
    },
  ) {}

  /** Numbers, validates and stores the report durably; publishing follows in the background. */
  report(draft: ReportDraft): Promise<StatusReport> {
    return this.serialise(async () => {
      const { ledger, outbox } = this.deps;
      const record = ledger.get(draft.jobId) ?? orphanRecord(draft);
      const seq = Math.max(record.lastSeq, outbox.highestSeq(draft.jobId)) + 1;
      const report = this.build(draft, seq);
      await outbox.append(statusTopic(this.deps.address), report);
      await ledger.save({ ...record, lastSeq: seq, lastReport: report, finished: isFinal(report) });
      this.deps.logger.info(
        { jobId: report.jobId, correlationId: report.correlationId, seq, phase: report.phase },
        'status report stored',
      );
      this.deps.onReport?.(report);
      this.kick();
      return report;
    });
  }

  /** A repeated command: its last report goes out again, unchanged (same seq). */
  resendLast(jobId: string): Promise<StatusReport | undefined> {
    return this.serialise(async () => {
      const last = this.deps.ledger.get(jobId)?.lastReport;
      if (!last) return undefined;
      await this.deps.outbox.append(statusTopic(this.deps.address), last);
      this.kick();
      return last;
    });
  }

  /** Publishing starts (or resumes, after a reconnect) through this publisher. */
  attach(publisher: ReportPublisher): void {
    this.publisher = publisher;
    this.kick();
  }

  detach(): void {
    this.publisher = null;
  }

  /** Starts draining unless a drain is already running. */
  kick(): void {
    if (this.draining || !this.publisher) return;
    this.draining = this.drain()
      .catch((err) =>
        this.deps.logger.error(
          { err },
          'outbox drain stopped; it resumes on the next report or reconnect',
        ),
      )
      .finally(() => {
        this.draining = null;
      });
  }

  /** Resolves once the outbox is empty (or the publisher is gone). */
  async flushed(): Promise<void> {
    await this.writes;
    while (this.draining) await this.draining;
  }

  private async drain(): Promise<void> {
    const { outbox, logger } = this.deps;
    for (let entry = outbox.head(); entry && this.publisher; entry = outbox.head()) {
      try {
        await this.publisher.publish(entry.topic, JSON.stringify(entry.report));
      } catch (err) {
        // The next connect kicks the drain again; the entry stays first in line.
        logger.warn(
          { err, jobId: entry.report.jobId, seq: entry.report.seq },
          'status report not acknowledged, will retry on reconnect',
        );
        return;
      }
      await outbox.remove(entry);
    }
  }

  private build(draft: ReportDraft, seq: number): StatusReport {
    const { jobKind, ...fields } = draft;
    const candidate = {
      schema: STATUS_REPORT_SCHEMA,
      messageId: randomUUID(),
      tenantId: this.deps.address.tenantId,
      clientId: this.deps.address.clientId,
      seq,
      jobKind,
      ...fields,
      error: fields.error && { ...fields.error, message: fields.error.message.slice(0, 4096) },
    };
    const checked = validateStatusReport(stripUndefined(candidate));
    if (checked.ok) return checked.value;
    const problems = checked.errors.map((e) => `${e.path}: ${e.message}`);
    // The phase matters more than its details: a report without a bad version or progress
    // still tells the service where the job stands.
    const bare = validateStatusReport(
      stripUndefined({ ...candidate, version: undefined, progress: undefined }),
    );
    if (!bare.ok) throw new InvalidReportError(problems);
    this.deps.logger.error(
      { jobId: draft.jobId, correlationId: draft.correlationId, problems },
      'status report details dropped: they break the contract',
    );
    return bare.value;
  }

  private serialise<T>(work: () => Promise<T>): Promise<T> {
    const next = this.writes.then(work, work);
    this.writes = next.catch(() => undefined);
    return next;
  }
}

function isFinal(report: StatusReport): boolean {
  return report.jobKind === 'update'
    ? FINAL_UPDATE_PHASES.includes(report.phase)
    : FINAL_CONFIG_PHASES.includes(report.phase);
}

/** A report for a job the ledger forgot (pruned, or lost with a disk): numbered from the outbox alone. */
function orphanRecord(draft: ReportDraft): JobRecord {
  return {
    jobId: draft.jobId,
    kind: draft.jobKind,
    firstSeenAt: draft.at,
    lastSeq: 0,
    finished: false,
  };
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
