import type { StatusReport } from '@opcfleet/contracts';
import {
  decideClient,
  evolveClient,
  type ClientCommand,
  type ClientState,
} from '../../clients/domain/client.decider';
import type { ClientEvent } from '../../clients/domain/client.events';
import { deterministicId } from '../../shared/domain/deterministic-id';
import type {
  CommandContext,
  DomainEvent,
  IsoTimestamp,
  JobKind,
} from '../../shared/domain/domain-event';
import { clientStream, idName, jobKey } from '../../shared/domain/stream-names';
import { decideJob, endOf, evolveJob, type Job, type JobEvent } from '../job-kinds';
import type { IngestStatusReportResult } from '../ingestion/ingest-status-report.command';
import type { RecordCommandDispatchedResult } from '../dispatch/record-command-dispatched.command';

/**
 * Decides a batch of job facts (device reports and recorded dispatches) in memory, as the
 * commands decide one: the facts of one job in their order, each on the state its
 * predecessors left. Pure: loading the streams and storing the result is the writer's job
 * (job-batch.writer.ts). Both kinds of fact go through this one path, so they never race each
 * other on a job stream.
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
  /** The trace context of the report's ingestion (its span's, else the report's own). */
  traceparent?: string;
}

/** A publish of a job's command that the broker acknowledged: a fact for the job's stream. */
export interface DispatchToRecord {
  dispatch: {
    jobKind: JobKind;
    tenantId: string;
    jobId: string;
    messageId: string;
    topic: string;
    at: IsoTimestamp;
    correlationId?: string;
    traceparent?: string;
  };
}

/** What the batch stores on job streams: device reports and dispatches, in arrival order. */
export type JobFact = ReportToIngest | DispatchToRecord;

export type JobFactResult = IngestStatusReportResult | RecordCommandDispatchedResult;

const isDispatch = (fact: JobFact): fact is DispatchToRecord => 'dispatch' in fact;

/** An event to append, with its id and the metadata of the fact that caused it. */
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

/** What one job's stream gets from the batch, and what its facts answer once it is stored. */
export interface JobAppendPlan {
  before: KnownJob;
  after: KnownJob;
  events: DecidedEvent[];
  /**
   * Answers of every fact decided on this job in the batch, by batch index. They stand or
   * fall with the append: a duplicate answered after an event of the batch is one only if
   * that event is stored.
   */
  answers: Map<number, JobFactResult>;
  ending?: ClientEnding;
}

export interface JobBatchDecision {
  /** Answers no append depends on: unknown job, wrong topic, duplicate of a stored fact. */
  answered: Map<number, JobFactResult>;
  /** One per job that gets events, in the order the jobs first appear in the batch. */
  appends: JobAppendPlan[];
}

/** actor device:<clientId>, tenant of the topic, the report's correlation id, caused by its message. */
export function reportContext({
  report,
  topicTenantId,
  topicClientId,
  traceparent = report.traceparent,
}: ReportToIngest): CommandContext {
  return {
    actor: `device:${topicClientId}`,
    tenantId: topicTenantId,
    correlationId: report.correlationId,
    causationId: report.messageId,
    ...(traceparent && { traceparent }),
  };
}

/**
 * Which job a fact is about. A report names a job id within the tenant of the topic it came on:
 * a device can only ever name a job of its own tenant (the tenant is part of the stream name).
 */
export const jobKeyOfFact = (fact: JobFact) =>
  isDispatch(fact)
    ? jobKey(fact.dispatch.tenantId, fact.dispatch.jobId)
    : jobKey(fact.topicTenantId, fact.report.jobId);

/** The job of a fact, in its tenant, and which kind of stream to look in first. */
export const jobOfFact = (fact: JobFact) =>
  isDispatch(fact)
    ? { tenantId: fact.dispatch.tenantId, jobId: fact.dispatch.jobId, kind: fact.dispatch.jobKind }
    : { tenantId: fact.topicTenantId, jobId: fact.report.jobId, kind: fact.report.jobKind };

/**
 * Decides a batch of facts in memory, each on the state its predecessors of the same job left,
 * as IngestStatusReport and RecordCommandDispatched decide one alone.
 */
export function decideJobBatch(
  facts: readonly JobFact[],
  jobOf: (key: string) => KnownJob | undefined,
): JobBatchDecision {
  const answered = new Map<number, JobFactResult>();
  const plans = new Map<string, JobAppendPlan>();
  const answer = (index: number, plan: JobAppendPlan | undefined, result: JobFactResult) =>
    plan ? plan.answers.set(index, result) : answered.set(index, result);
  facts.forEach((fact, index) => {
    const key = jobKeyOfFact(fact);
    const plan = plans.get(key);
    const job = plan?.after ?? jobOf(key);
    if (isDispatch(fact)) {
      const decided = job && decideDispatch(fact, job);
      if (!job || !decided) return answer(index, plan, { outcome: job ? 'duplicate' : 'ignored' });
      plans.set(key, withEvents(plan, job, decided, index, { outcome: 'recorded' }));
      return;
    }
    const { report, topicTenantId, topicClientId } = fact;
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
    if (events.length === 0) return answer(index, plan, { outcome: 'duplicate' });
    const context = reportContext(fact);
    const decided = events.map((event, n) => ({
      event,
      id: deterministicId(
        n === 0
          ? idName(report.jobId, 'report', report.seq)
          : idName(report.jobId, 'report', report.seq, n),
      ),
      context,
    }));
    const [event] = events;
    const next = withEvents(
      plan,
      job,
      decided,
      index,
      event.type === 'StatusReportIgnored'
        ? { outcome: 'ignored', reason: event.data.reason }
        : { outcome: 'applied', eventType: event.type },
    );
    const command = endOf(next.after, report.at);
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

/** The job's plan after `decided` is appended to it, answering `result` for fact `index`. */
function withEvents(
  plan: JobAppendPlan | undefined,
  job: KnownJob,
  decided: DecidedEvent[],
  index: number,
  result: JobFactResult,
): JobAppendPlan {
  const events = decided.map(({ event }) => event as JobEvent);
  const after = { ...evolveJob(job, events), revision: job.revision + events.length };
  const next: JobAppendPlan = plan ?? { before: job, after, events: [], answers: new Map() };
  next.after = after;
  next.events.push(...decided);
  next.answers.set(index, result);
  return next;
}

/**
 * The dispatch event of a publish, or undefined when this message is recorded already. A
 * publish is a fact even when the device answered first: it is recorded after the job's end.
 */
function decideDispatch({ dispatch }: DispatchToRecord, job: KnownJob): DecidedEvent[] | undefined {
  const { messageId, topic, at, jobId } = dispatch;
  const events = decideJob({ type: 'RecordDispatch', data: { messageId, topic, at } }, job);
  if (events.length === 0) return undefined;
  const context: CommandContext = {
    actor: 'system:dispatcher',
    tenantId: job.state.request.tenantId,
    correlationId: dispatch.correlationId ?? jobId,
    causationId: messageId,
    ...(dispatch.traceparent && { traceparent: dispatch.traceparent }),
  };
  return events.map((event) => ({
    event,
    id: deterministicId(idName(jobId, 'dispatched', messageId)),
    context,
  }));
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
