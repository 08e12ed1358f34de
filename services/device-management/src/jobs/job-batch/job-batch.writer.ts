import { Inject, Injectable } from '@nestjs/common';
import type { EventStore, RecordedEvent } from '@opcfleet/event-store';
import {
  PostgresEventStore,
  type StreamAppendOutcome,
  type StreamAppendRequest,
} from '@opcfleet/event-store/postgres/postgres-event-store';
import { foldClient } from '../../clients/domain/client.decider';
import type { ClientEvent } from '../../clients/domain/client.events';
import { EVENT_STORE } from '../../event-sourcing/event-store.token';
import { metadataOf } from '../../event-sourcing/event-streams';
import { clientStateWrites, jobStateWrites } from '../../read-models/read-model.projector';
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
  type ClientEnding,
  type DecidedEvent,
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
 * are decided together and stored in one transaction, with a few statements whatever their
 * number: their job streams read in one query (unless cached), every job stream appended in
 * one statement, job ends recorded on the client streams in another, read-model rows written
 * in one statement per table. Each report still gets its own answer, as if alone.
 *
 * A job stream that moved since it was read (another replica, a dispatch record) only sends
 * that job's reports to a next round on the reloaded stream; the others commit. A client
 * stream that moved rolls the round back (a job's end and its client's mark are one fact) and
 * runs it again.
 */
@Injectable()
export class JobBatchWriter {
  private readonly store: PostgresEventStore;
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

  constructor(@Inject(EVENT_STORE) store: EventStore) {
    if (!(store instanceof PostgresEventStore)) {
      throw new Error('JobBatchWriter needs the PostgresEventStore (PostgreSQL or PGlite)');
    }
    this.store = store;
  }

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

    const endings = decision.appends.flatMap((plan) => (plan.ending ? [plan.ending] : []));
    const landed =
      endings.length === 0
        ? await this.appendJobs(decision.appends)
        : await this.appendJobsAndEnds(decision.appends, endings);
    // A client stream moved: the round was rolled back; all of its appends go again.
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

  /** The usual batch, no job ends: one statement appends the streams and writes their rows. */
  private async appendJobs(plans: readonly JobAppendPlan[]): Promise<JobAppendPlan[]> {
    const outcomes = await this.store.appendToStreams(sortedRequests(plans), jobRowWrites(plans));
    return plans.filter((plan) => outcomeOf(outcomes, plan)?.outcome === 'appended');
  }

  /**
   * A batch where jobs end: their ends go to the client streams in the same transaction as
   * the job events. Undefined when a client stream moved meanwhile: all rolled back.
   */
  private async appendJobsAndEnds(
    plans: readonly JobAppendPlan[],
    endings: readonly ClientEnding[],
  ): Promise<JobAppendPlan[] | undefined> {
    const clients = await this.readClients(endings.map((ending) => ending.streamName));
    return this.store
      .writeTransaction(async ({ appendToStreams }) => {
        const outcomes = await appendToStreams(sortedRequests(plans), jobRowWrites(plans));
        const landed = plans.filter((plan) => outcomeOf(outcomes, plan)?.outcome === 'appended');
        const clientPlans = decideClientEndings(
          landed.flatMap((plan) => (plan.ending ? [plan.ending] : [])),
          (streamName) => clients.get(streamName)!,
        );
        const clientOutcomes = await appendToStreams(
          sortedRequests(clientPlans),
          clientStateWrites(
            clientPlans.flatMap(({ after, events }) =>
              after.state ? [{ ...after, state: after.state, appended: eventsOf(events) }] : [],
            ),
          ),
        );
        for (const plan of clientPlans) {
          const outcome = outcomeOf(clientOutcomes, plan)?.outcome;
          // 'duplicate': this end was recorded meanwhile under the same id; nothing to add.
          if (outcome !== 'appended' && outcome !== 'duplicate') throw new ClientStreamMoved();
        }
        return landed;
      })
      .catch((error: unknown) => {
        if (error instanceof ClientStreamMoved) return undefined;
        throw error;
      });
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
    const streams = await this.store.readStreams(
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
    const streams = await this.store.readStreams(unique);
    return new Map(
      unique.map((streamName) => {
        const recorded = streams.get(streamName) ?? [];
        const state = foldClient(recorded.map(toDomainEvent<ClientEvent>));
        return [streamName, { streamName, state, revision: recorded.length - 1 }];
      }),
    );
  }
}

class ClientStreamMoved extends Error {}

const eventsOf = (events: readonly DecidedEvent[]) => events.map(({ event }) => event);

/** The read-model rows of the jobs, written in their append statement if it lands. */
function jobRowWrites(plans: readonly JobAppendPlan[]) {
  return jobStateWrites(
    plans.map(({ after, events }) => ({
      streamName: after.streamName,
      state: after,
      revision: after.revision,
      appended: eventsOf(events),
    })),
  );
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

/** In stream name order: two transactions lock the streams they share in the same order. */
function sortedRequests(plans: readonly AppendPlan[]): StreamAppendRequest[] {
  return plans
    .map(({ before, events }) => ({
      streamName: before.streamName,
      expectedRevision: before.revision < 0 ? ('no_stream' as const) : before.revision,
      events: events.map(({ event, id, context }) => ({
        id,
        type: event.type,
        data: event.data,
        metadata: metadataOf(context),
      })),
    }))
    .sort((a, b) => (a.streamName < b.streamName ? -1 : a.streamName > b.streamName ? 1 : 0));
}

function outcomeOf(
  outcomes: readonly StreamAppendOutcome[],
  plan: AppendPlan,
): StreamAppendOutcome | undefined {
  return outcomes.find((outcome) => outcome.streamName === plan.before.streamName);
}
