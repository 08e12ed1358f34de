import { Injectable } from '@nestjs/common';
import { type RecordedEvent, type StreamAppendResult } from '@opcfleet/event-store';
import { foldClient } from '../../clients/domain/client.decider';
import type { ClientEvent } from '../../clients/domain/client.events';
import {
  EventStreams,
  metadataOf,
  refusedStreams,
  type StreamWrite,
} from '../../event-sourcing/event-streams';
import { DomainError } from '../../shared/domain/domain-error';
import type { DomainEvent, JobKind } from '../../shared/domain/domain-event';
import { jobStream } from '../../shared/domain/stream-names';
import { JOB_KIND_DEFINITIONS, jobKind, type Job } from '../job-kinds';
import { GroupCommit } from './group-commit';
import type { IngestStatusReportResult } from '../ingestion/ingest-status-report.command';
import type { RecordCommandDispatchedResult } from '../dispatch/record-command-dispatched.command';
import { JobStateCache, keyOf } from './job-state-cache';
import {
  decideClientEndings,
  decideJobBatch,
  type ClientAppendPlan,
  type JobAppendPlan,
  type KnownClient,
  type KnownJob,
  type DispatchToRecord,
  type JobFact,
  type JobFactResult,
  type ReportToIngest,
  jobKeyOfFact,
  jobOfFact,
} from './job-batch.decider';

/** Rounds of a batch before a report that keeps conflicting gives up (as retryOnConflict). */
const MAX_ROUNDS = 5;
/** Running jobs whose state is kept between reports (a few kB each): a large rollout wave. */
const CACHED_JOBS = 10_000;
/** PostgreSQL's deadlock and serialization failures: the transaction is simply run again. */
const TRANSIENT_SQL_STATES = new Set(['40P01', '40001']);

/**
 * Ingests status reports in batches (group commit): the reports waiting at the same moment
 * are decided together and stored with one atomic append (EventStreams.write): every job
 * stream, the job ends recorded on their client streams, and the read-model rows, in one
 * statement whatever their number; their job streams read in one query (unless cached). Each
 * report still gets its own answer, as if alone.
 *
 * A job stream that moved since it was read (another replica, a dispatch record) only sends
 * that job's reports to a next round on the reloaded stream; the others are appended again at
 * once without it. A client stream that moved sends the whole round again (a job's end and its
 * client's mark are one fact).
 */
@Injectable()
export class JobBatchWriter {
  private readonly cache = new JobStateCache(CACHED_JOBS);
  private readonly batches = new GroupCommit<JobFact, JobFactResult>(
    (reports) => this.write(reports),
    // Two batches overlap, one in the database while the next is decided. A batch starts full,
    // or 5 ms after its first fact; fuller batches mean fewer commits, and fewer wake-ups of the
    // subscribers, which read the store after every commit. The facts of one job go in order,
    // never in two batches at once (they would conflict on the job's stream), but several of
    // them may share a batch: a job's reports do not wait for each other's commit.
    { maxInFlight: 2, maxBatch: 256, lingerMs: 5, keyOf: jobKeyOfFact },
  );

  constructor(private readonly streams: EventStreams) {}

  /** Resolves with the report's outcome once its batch committed. */
  ingest(report: ReportToIngest): Promise<IngestStatusReportResult> {
    return this.batches.submit(report) as Promise<IngestStatusReportResult>;
  }

  /** Resolves once the dispatch is recorded on the job's stream (or known there already). */
  recordDispatch(dispatch: DispatchToRecord): Promise<RecordCommandDispatchedResult> {
    return this.batches.submit(dispatch) as Promise<RecordCommandDispatchedResult>;
  }

  /** Answers every fact of the batch: an outcome, or the error that stopped it. */
  async write(reports: readonly JobFact[]): Promise<Array<JobFactResult | Error>> {
    const results: Array<JobFactResult | Error> = [];
    let pending = reports.map((_, index) => index);
    for (let round = 1; pending.length > 0; round++) {
      if (round > MAX_ROUNDS) {
        const conflict = new DomainError(
          'concurrency_conflict',
          'too many concurrent changes to the job stream; try again',
        );
        for (const index of pending) results[index] = conflict;
        break;
      }
      try {
        pending = await this.writeRound(reports, pending, results);
      } catch (error) {
        for (const index of pending) this.cache.delete(jobKeyOfFact(reports[index]));
        if (isTransient(error)) continue;
        // The database is away: the ingestor retries these reports with back-off.
        for (const index of pending) results[index] = error as Error;
        break;
      }
    }
    return results;
  }

  /** One transaction for the pending reports; returns the ones to run again. */
  private async writeRound(
    reports: readonly JobFact[],
    pending: readonly number[],
    results: Array<JobFactResult | Error>,
  ): Promise<number[]> {
    const batch = pending.map((index) => reports[index]);
    const jobs = await this.knownJobs(batch);
    const decision = decideJobBatch(batch, (key) => jobs.get(key));
    for (const [at, answer] of decision.answered) results[pending[at]] = answer;
    if (decision.appends.length === 0) return [];

    const landed = await this.appendJobs(decision.appends);
    // A client stream moved: nothing was written; all of the round's appends go again.
    if (!landed)
      return decision.appends.flatMap((plan) => [...plan.answers.keys()].map((at) => pending[at]));

    const again: number[] = [];
    for (const plan of decision.appends) {
      if (landed.includes(plan)) {
        // An ended job only gets late reports: not worth its memory.
        if (plan.ending) this.cache.delete(keyOf(plan.after));
        else this.cache.set(plan.after);
        for (const [at, answer] of plan.answers) results[pending[at]] = answer;
      } else {
        // The stream moved (or holds these reports already): read it again, decide again.
        this.cache.delete(keyOf(plan.after));
        for (const at of plan.answers.keys()) again.push(pending[at]);
      }
    }
    return again.sort((a, b) => a - b);
  }

  /**
   * Appends the job streams, and the ends of the jobs that end on their client streams, in one
   * atomic append with their read-model rows. A job stream that moved (or refused the events
   * as partly stored) is left out and the others are appended again at once; the plans that
   * landed come back. Undefined when a client stream moved: nothing is written.
   */
  private async appendJobs(plans: readonly JobAppendPlan[]): Promise<JobAppendPlan[] | undefined> {
    const endings = plans.flatMap((plan) => (plan.ending ? [plan.ending] : []));
    const clients =
      endings.length > 0
        ? await this.readClients(endings.map((ending) => ending.streamName))
        : new Map<string, KnownClient>();
    let trying = [...plans];
    while (trying.length > 0) {
      const clientPlans = decideClientEndings(
        trying.flatMap((plan) => (plan.ending ? [plan.ending] : [])),
        (streamName) => clients.get(streamName)!,
      );
      let outcomes: StreamAppendResult[];
      try {
        outcomes = await this.streams.write([
          ...trying.map((plan) => streamWrite(plan, plan.after.state)),
          ...clientPlans.map((plan) => streamWrite(plan, plan.after.state)),
        ]);
      } catch (error) {
        const refused = refusedStreams(error);
        if (!refused) throw error;
        if (clientPlans.some((plan) => refused.has(plan.before.streamName))) return undefined;
        trying = trying.filter((plan) => !refused.has(plan.before.streamName));
        continue;
      }
      // 'duplicate': these reports were stored before; deciding them again answers them.
      return trying.filter((_, index) => outcomes[index].outcome === 'appended');
    }
    return [];
  }

  /** The jobs of the batch: cached, or read (both kinds of stream, in one query). */
  private async knownJobs(batch: readonly JobFact[]): Promise<Map<string, KnownJob>> {
    const jobs = new Map<string, KnownJob>();
    const missing = new Map<string, ReturnType<typeof jobOfFact>>();
    for (const fact of batch) {
      const key = jobKeyOfFact(fact);
      const cached = this.cache.get(key);
      if (cached) jobs.set(key, cached);
      else missing.set(key, jobOfFact(fact));
    }
    if (missing.size === 0) return jobs;
    const streams = await this.streams.store.readStreams(
      [...missing.values()].flatMap(({ tenantId, jobId }) =>
        JOB_KIND_DEFINITIONS.map(({ kind }) => jobStream(kind, tenantId, jobId)),
      ),
    );
    for (const [key, { tenantId, jobId, kind: preferred }] of missing) {
      const kinds = [preferred, ...JOB_KIND_DEFINITIONS.map(({ kind }) => kind)];
      for (const kind of new Set(kinds)) {
        const streamName = jobStream(kind, tenantId, jobId);
        const job = foldKnownJob(kind, streamName, streams.get(streamName));
        if (!job) continue;
        jobs.set(key, job);
        break;
      }
    }
    return jobs;
  }

  private async readClients(streamNames: string[]): Promise<Map<string, KnownClient>> {
    const unique = [...new Set(streamNames)];
    const streams = await this.streams.store.readStreams(unique);
    return new Map(
      unique.map((streamName) => {
        const recorded = streams.get(streamName) ?? [];
        const state = foldClient(recorded.map(toDomainEvent<ClientEvent>));
        return [streamName, { streamName, state, revision: recorded.length - 1 }];
      }),
    );
  }
}

const isTransient = (error: unknown) =>
  TRANSIENT_SQL_STATES.has((error as { code?: string } | undefined)?.code ?? '');

function toDomainEvent<Event>(event: RecordedEvent): Event {
  return { type: event.type, data: event.data } as Event;
}

function foldKnownJob(
  kind: JobKind,
  streamName: string,
  recorded: RecordedEvent[] | undefined,
): KnownJob | undefined {
  if (!recorded?.length) return undefined;
  const state = jobKind(kind).fold(recorded.map(toDomainEvent<DomainEvent>));
  if (!state) return undefined;
  return { ...({ kind, state } as Job), streamName, revision: recorded.length - 1 };
}

type AppendPlan = Pick<JobAppendPlan | ClientAppendPlan, 'before' | 'events'>;

/** A plan as EventStreams writes it: its events at the revision it was decided on. */
function streamWrite(plan: AppendPlan, stateAfter: unknown): StreamWrite {
  const { streamName, revision } = plan.before;
  return {
    streamName,
    expectedRevision: revision < 0 ? 'no_stream' : revision,
    events: plan.events.map(({ event, id, context }) => ({
      id,
      type: event.type,
      data: event.data,
      metadata: metadataOf(context),
    })),
    stateAfter,
  };
}
