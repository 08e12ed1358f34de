import type { StatusReport } from '@opcfleet/contracts';
import {
  decideClient,
  evolveClient,
  type ClientCommand,
  type ClientState,
} from '../../clients/domain/client.decider';
import type { ClientEvent } from '../../clients/domain/client.events';
import { deterministicId } from '../../shared/domain/deterministic-id';
import type { CommandContext, DomainEvent } from '../../shared/domain/domain-event';
import { clientStream, idName, jobKey } from '../../shared/domain/stream-names';
import { decideJob, endOf, evolveJob, type Job } from '../domain/job';
import type { IngestStatusReportResult } from './ingest-status-report.command';

/**
 * Decides a batch of status reports in memory, as IngestStatusReport decides one: the reports
 * of one job in their order, each on the state its predecessors left. Pure: loading the
 * streams and storing the result is the writer's job (report-batch.writer.ts).
 */

/** A job as the batch knows it: its stream and the revision its state was folded up to. */
export type KnownJob = Job & { streamName: string; revision: number };

/** A client stream as the batch knows it; revision -1: no stream. */
export interface KnownClient {
  streamName: string;
  state: ClientState;
  revision: number;
}

/** The fields of an IngestStatusReport command. */
export interface ReportToIngest {
  report: StatusReport;
  topicTenantId: string;
  topicClientId: string;
}

/** An event to append, with its id and the metadata of the report that caused it. */
export interface DecidedEvent {
  event: DomainEvent;
  id: string;
  context: CommandContext;
}

/** The job's end, to be recorded on its client stream in the job's own transaction. */
export interface ClientEnding {
  streamName: string;
  command: Extract<ClientCommand, { type: 'EndUpdate' | 'EndConfig' }>;
  id: string;
  context: CommandContext;
}

/** What one job's stream gets from the batch, and what its reports answer once it is stored. */
export interface JobAppendPlan {
  before: KnownJob;
  after: KnownJob;
  events: DecidedEvent[];
  /**
   * Answers of every report decided on this job in the batch, by batch index. They stand or
   * fall with the append: a duplicate answered after an event of the batch is one only if
   * that event is stored.
   */
  answers: Map<number, IngestStatusReportResult>;
  ending?: ClientEnding;
}

export interface ReportBatchDecision {
  /** Answers no append depends on: unknown job, wrong topic, duplicate of a stored report. */
  answered: Map<number, IngestStatusReportResult>;
  /** One per job that gets events, in the order the jobs first appear in the batch. */
  appends: JobAppendPlan[];
}

/** actor device:<clientId>, tenant of the topic, the report's correlation id, caused by its message. */
export function reportContext({
  report,
  topicTenantId,
  topicClientId,
}: ReportToIngest): CommandContext {
  return {
    actor: `device:${topicClientId}`,
    tenantId: topicTenantId,
    correlationId: report.correlationId,
    causationId: report.messageId,
  };
}

/**
 * Which job a report is about: its job id within the tenant of the topic it came on. A device
 * can only ever name a job of its own tenant (the tenant is part of the job's stream name).
 */
export const reportedJobKey = ({ report, topicTenantId }: ReportToIngest) =>
  jobKey(topicTenantId, report.jobId);

export function decideReportBatch(
  reports: readonly ReportToIngest[],
  jobOf: (key: string) => KnownJob | undefined,
): ReportBatchDecision {
  const answered = new Map<number, IngestStatusReportResult>();
  const plans = new Map<string, JobAppendPlan>();
  reports.forEach((ingest, index) => {
    const { report, topicTenantId, topicClientId } = ingest;
    const key = reportedJobKey(ingest);
    const plan = plans.get(key);
    const job = plan?.after ?? jobOf(key);
    if (!job) return answered.set(index, { outcome: 'rejected', reason: 'unknown_job' });
    const { tenantId, clientId } = job.state.request;
    // A report counts only on the job's own topic and with the job's own envelope ids.
    if (
      tenantId !== topicTenantId ||
      clientId !== topicClientId ||
      report.tenantId !== tenantId ||
      report.clientId !== clientId
    ) {
      return answered.set(index, { outcome: 'rejected', reason: 'topic_mismatch' });
    }
    const events = decideJob({ type: 'IngestReport', data: { report } }, job);
    if (events.length === 0) {
      if (plan) plan.answers.set(index, { outcome: 'duplicate' });
      else answered.set(index, { outcome: 'duplicate' });
      return;
    }
    const context = reportContext(ingest);
    const after = { ...evolveJob(job, events), revision: job.revision + events.length };
    const next: JobAppendPlan = plan ?? { before: job, after, events: [], answers: new Map() };
    next.after = after;
    next.events.push(
      ...events.map((event, n) => ({
        event,
        id: deterministicId(
          n === 0
            ? idName(report.jobId, 'report', report.seq)
            : idName(report.jobId, 'report', report.seq, n),
        ),
        context,
      })),
    );
    const [event] = events;
    next.answers.set(
      index,
      event.type === 'StatusReportIgnored'
        ? { outcome: 'ignored', reason: event.data.reason }
        : { outcome: 'applied', eventType: event.type },
    );
    const command = endOf(after, report.at);
    next.ending = command && {
      streamName: clientStream(tenantId, clientId),
      command,
      id: deterministicId(idName(report.jobId, 'client-ended')),
      context,
    };
    plans.set(key, next);
  });
  return { answered, appends: [...plans.values()] };
}

/** What one client stream gets: the ends of the batch's jobs of that client, in order. */
export interface ClientAppendPlan {
  before: KnownClient;
  after: KnownClient;
  events: DecidedEvent[];
}

/**
 * Records job ends on their client streams, several of one client one after the other. The
 * client decider records an end once: a repeat decides nothing, and an unknown client too.
 */
export function decideClientEndings(
  endings: readonly ClientEnding[],
  clientOf: (streamName: string) => KnownClient,
): ClientAppendPlan[] {
  const plans = new Map<string, ClientAppendPlan>();
  for (const ending of endings) {
    const plan = plans.get(ending.streamName);
    const client = plan?.after ?? clientOf(ending.streamName);
    const events = client.state ? decideClient(ending.command, client.state) : [];
    if (events.length === 0) continue;
    const after = {
      ...client,
      state: events.reduce<ClientState>(evolveClient, client.state),
      revision: client.revision + events.length,
    };
    const next: ClientAppendPlan = plan ?? { before: client, after, events: [] };
    next.after = after;
    next.events.push(
      ...events.map((event: ClientEvent) => ({ event, id: ending.id, context: ending.context })),
    );
    plans.set(ending.streamName, next);
  }
  return [...plans.values()];
}
