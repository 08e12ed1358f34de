import {
  FINAL_CONFIG_PHASES,
  FINAL_UPDATE_PHASES,
  STATUS_REPORT_SCHEMA,
  decodeReportAck,
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
      traceparent?: string;
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
  /** The report waiting for the service's ack, and how to tell the drain it came. */
  private awaited: { jobId: string; seq: number; acked: () => void } | null = null;
  /** Tells the drain that the publisher is gone (a wait for an ack ends at once). */
  private detached: (() => void) | null = null;

  constructor(
    private readonly deps: {
      address: ClientAddress;
      ledger: JobLedger;
      outbox: Outbox;
      logger: Logger;
      /** Called after each report is written, with what was written. */
      onReport?: (report: StatusReport) => void;
      /** First wait for the service's ack of a report (ms); doubled after each miss, to 60 s. */
      ackTimeoutMs?: number;
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
    this.detached?.();
  }

  /**
   * An ack on the client's `acks` topic: the service holds this report. Malformed acks, acks
   * for another client and acks of reports not waited for are ignored (returns false).
   */
  acknowledge(raw: Uint8Array | string): boolean {
    const decoded = decodeReportAck(raw);
    if (!decoded.ok) {
      this.deps.logger.warn(
        { errors: decoded.errors.slice(0, 5) },
        'dropped a malformed report ack',
      );
      return false;
    }
    const ack = decoded.value;
    const { tenantId, clientId } = this.deps.address;
    const awaited = this.awaited;
    if (ack.tenantId !== tenantId || ack.clientId !== clientId) return false;
    if (!awaited || awaited.jobId !== ack.jobId || awaited.seq !== ack.seq) return false;
    awaited.acked();
    return true;
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
    let misses = 0;
    for (let entry = outbox.head(); entry && this.publisher; entry = outbox.head()) {
      const { jobId, seq } = entry.report;
      // Set before the publish: the service may answer before the PUBACK comes back.
      const acked = this.servicesAcks(jobId) ? this.awaitAck(jobId, seq) : undefined;
      try {
        await this.publisher.publish(entry.topic, JSON.stringify(entry.report));
      } catch (err) {
        // The next connect kicks the drain again; the entry stays first in line.
        this.awaited = null;
        logger.warn({ err, jobId, seq }, 'status report not acknowledged, will retry on reconnect');
        return;
      }
      if (acked) {
        const timeoutMs = Math.min((this.deps.ackTimeoutMs ?? 10_000) * 2 ** misses, 60_000);
        const outcome = await acked(timeoutMs);
        if (outcome === 'detached') return;
        if (outcome === 'timeout') {
          // The broker took it but the service does not have it (a broker can drop a message
          // after its PUBACK): the same report goes again, and nothing after it overtakes it.
          misses += 1;
          logger.warn(
            { jobId, seq, correlationId: entry.report.correlationId, waitedMs: timeoutMs },
            'status report not confirmed by the service, sending it again',
          );
          continue;
        }
      }
      misses = 0;
      await outbox.remove(entry);
    }
  }

  /** Whether the service acknowledges the reports of this job (its command said so). */
  private servicesAcks(jobId: string): boolean {
    return this.deps.ledger.get(jobId)?.command?.reportAcks === 'v1';
  }

  /** Starts waiting for the ack of one report; the result tells how the wait ended. */
  private awaitAck(jobId: string, seq: number) {
    let acked!: () => void;
    const came = new Promise<'acked'>((resolve) => (acked = () => resolve('acked')));
    this.awaited = { jobId, seq, acked };
    return async (timeoutMs: number): Promise<'acked' | 'timeout' | 'detached'> => {
      let timer: NodeJS.Timeout | undefined;
      try {
        return await Promise.race([
          came,
          new Promise<'timeout'>(
            (resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)),
          ),
          new Promise<'detached'>((resolve) => (this.detached = () => resolve('detached'))),
        ]);
      } finally {
        clearTimeout(timer);
        this.awaited = null;
        this.detached = null;
      }
    };
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
    // The phase matters more than its details: a report without a bad version, progress or
    // evidence still tells the service where the job stands.
    const bare = validateStatusReport(
      stripUndefined({
        ...candidate,
        version: undefined,
        progress: undefined,
        evidence: undefined,
      }),
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
