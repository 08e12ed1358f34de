import { Inject, Injectable } from '@nestjs/common';
import type {
  EventBatch,
  EventStore,
  ProjectedBatch,
  ProjectedRow,
  RecordedEvent,
  Subscription,
} from '@opcfleet/event-store';
import type { Logger } from 'pino';
import { DataSource, In } from 'typeorm';
import { foldClient } from '../clients/domain/client.decider';
import type { ClientEvent } from '../clients/domain/client.events';
import { foldJob } from '../jobs/job-kinds';
import { foldRelease } from '../releases/domain/release.decider';
import type { ReleaseEvent } from '../releases/domain/release.events';
import { foldRollout } from '../rollouts/domain/rollout.decider';
import type { RolloutEvent } from '../rollouts/domain/rollout.events';
import { EVENT_STORE } from '../event-sourcing/event-store.token';
import { LocalCommits } from '../event-sourcing/local-commits';
import { APP_LOGGER } from '../observability/app-logger';
import { ServiceMetrics } from '../observability/service-metrics';
import type { Worker } from '../shared/worker';
import type { DomainEvent, JobKind } from '../shared/domain/domain-event';
import {
  JOB_STREAM_PREFIXES,
  jobKindOfStream,
  jobOfStream,
  jobStream,
  parseStreamName,
  STREAM_PREFIX,
} from '../shared/domain/stream-names';
import { ChangeFeed } from './change-feed';
import { ProjectedHere } from './projected-here';
import type { JobDto } from './read-model.dto';
import { JobView, READ_MODEL_SCHEMA, RolloutView } from './read-model.entities';
import { ROLLOUTS_TABLE } from './rollout.rows';
import type { RolloutSummaryDto } from './rollout.dto';
import { JOBS_TABLE, readModelRows } from './read-model.rows';

export const READ_MODEL_SUBSCRIPTION = 'read-models';
export const PROJECTED_PREFIXES = [
  STREAM_PREFIX.client,
  ...JOB_STREAM_PREFIXES,
  STREAM_PREFIX.rollout,
  STREAM_PREFIX.release,
];

/**
 * The rows of a batch of events: each stream's state after its last event in the batch, through
 * the same row mapper as the inline projection. A stream the batch does not open is read from
 * the store up to that event (the rows hold no decider state to evolve).
 */
export async function rowsOfBatch(
  store: Pick<EventStore, 'readStreams'>,
  events: readonly RecordedEvent[],
): Promise<ProjectedRow[]> {
  const byStream = new Map<string, RecordedEvent[]>();
  for (const event of events) {
    if (!foldOf(event.streamName)) continue;
    byStream.set(event.streamName, [...(byStream.get(event.streamName) ?? []), event]);
  }
  const unopened = [...byStream].filter(([, streamEvents]) => streamEvents[0].revision > 0);
  const stored =
    unopened.length > 0
      ? await store.readStreams(unopened.map(([streamName]) => streamName))
      : new Map<string, RecordedEvent[]>();
  return [...byStream].flatMap(([streamName, streamEvents]) => {
    const revision = streamEvents[streamEvents.length - 1].revision;
    const history =
      streamEvents[0].revision === 0
        ? streamEvents
        : (stored.get(streamName) ?? []).filter((event) => event.revision <= revision);
    const stateAfter = foldOf(streamName)!(
      history.map((event) => ({ type: event.type, data: event.data }) as DomainEvent),
    );
    return readModelRows({ streamName, stateAfter, revision, events: streamEvents });
  });
}

/** How a projected stream folds into the state its rows are mapped from. */
function foldOf(streamName: string): ((events: DomainEvent[]) => unknown) | undefined {
  const kind = jobKindOfStream(streamName);
  if (kind) return (events) => foldJob(kind, events);
  if (streamName.startsWith(STREAM_PREFIX.client)) {
    return (events) => foldClient(events as ClientEvent[]);
  }
  if (streamName.startsWith(STREAM_PREFIX.rollout)) {
    return (events) => foldRollout(events as RolloutEvent[]);
  }
  if (streamName.startsWith(STREAM_PREFIX.release)) {
    return (events) => foldRelease(events as ReleaseEvent[]);
  }
  return undefined;
}

/**
 * The durable subscription of the read models: the rows a batch returns commit with its
 * checkpoint (exactly-once effect).
 */
export function subscribeReadModels(
  store: EventStore,
  logger: Logger,
  handle: (batch: EventBatch) => Promise<void | ProjectedBatch>,
): Subscription {
  return store.subscribe(
    {
      name: READ_MODEL_SUBSCRIPTION,
      streamPrefixes: PROJECTED_PREFIXES,
      batchSize: 500,
      // The API reads its own writes from the inline rows; this only checks them and feeds
      // the change feed, where 25 ms go unseen: one read per 25 ms, not one per commit.
      readIntervalMs: 25,
      // Most batches are this service's own appends, projected inline: they only move the
      // checkpoint, which is then stored once a second (a crash replays them, harmlessly).
      checkpointing: { mode: 'store', idleCheckpointEveryMs: 1_000 },
      onError: (error, attempt) =>
        logger.warn({ err: error, attempt }, 'read-model projection failed; retrying'),
    },
    handle,
  );
}

/**
 * Keeps the read models in step with the store. Appends made by this service are already
 * projected inline; the subscription catches everything else (other replicas, a rebuild),
 * measures the projection lag and feeds the SSE stream.
 */
@Injectable()
export class ReadModelProjection implements Worker {
  readonly name = 'read-models';
  private subscription: Subscription | undefined;
  private readonly projectedHere = new ProjectedHere();
  private stopListening: (() => void) | undefined;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly dataSource: DataSource,
    private readonly feed: ChangeFeed,
    private readonly metrics: ServiceMetrics,
    @Inject(APP_LOGGER) private readonly logger: Logger,
    private readonly localCommits: LocalCommits,
  ) {}

  async start(): Promise<void> {
    this.stopListening = this.localCommits.onCommitted((events) => {
      for (const event of events) {
        if (event.projected) this.projectedHere.written(event.streamName, event.revision);
      }
    });
    this.subscription = subscribeReadModels(this.store, this.logger, (batch) => this.handle(batch));
  }

  /** Resolves once everything committed before the call is in the read models. */
  caughtUp(): Promise<void> {
    return this.subscription?.caughtUp() ?? Promise.resolve();
  }

  async stop(): Promise<void> {
    this.stopListening?.();
    await this.subscription?.stop();
    this.feed.complete();
  }

  private async handle(batch: EventBatch): Promise<ProjectedBatch | undefined> {
    // Usual case: this service's own appends, projected inline: only the checkpoint moves.
    const projected = await this.alreadyProjected(batch);
    const rows = projected ? [] : await rowsOfBatch(this.store, batch.events);
    const last = batch.events[batch.events.length - 1];
    if (last) this.metrics.projectionLag.set((Date.now() - last.recordedAt.getTime()) / 1000);
    // Rows projected here commit after this returns: the feed takes them as they will be.
    if (projected) await this.publishChanges(batch);
    else this.publishRows(rows);
    return rows.length > 0 ? { rows } : undefined;
  }

  /**
   * True when every row the batch touches is already at or past the batch's events: known for
   * the rows this process wrote inline, read back for the others.
   */
  private async alreadyProjected(batch: EventBatch): Promise<boolean> {
    const last = new Map<string, number>();
    for (const event of batch.events) last.set(event.streamName, event.revision);
    for (const [stream, revision] of last) {
      if (this.projectedHere.covers(stream, revision)) last.delete(stream);
    }
    if (last.size === 0) return true;
    const jobStreams = [...last.keys()].flatMap((name) => {
      const job = jobOfStream(name);
      return job ? [{ name, ...job }] : [];
    });
    // Clients, rollouts and releases keep their stream's name in their row.
    const namedStreams = [...last.keys()].filter((name) => !jobOfStream(name));
    const [jobRows, namedRows] = (await Promise.all([
      jobStreams.length
        ? this.dataSource
            .query(
              `SELECT job_id, tenant_id, kind, stream_revision FROM ${READ_MODEL_SCHEMA}.jobs
                WHERE job_id = ANY($1::uuid[])`,
              [jobStreams.map((job) => job.jobId)],
            )
            .then(
              (
                rows: {
                  job_id: string;
                  tenant_id: string;
                  kind: JobKind;
                  stream_revision: number;
                }[],
              ) =>
                rows.map((row) => ({
                  stream: jobStream(row.kind, row.tenant_id, row.job_id),
                  stream_revision: row.stream_revision,
                })),
            )
        : [],
      namedStreams.length
        ? this.dataSource.query(
            `SELECT stream_name AS stream, stream_revision FROM ${READ_MODEL_SCHEMA}.clients
              WHERE stream_name = ANY($1::text[])
             UNION ALL
             SELECT stream_name, stream_revision FROM ${READ_MODEL_SCHEMA}.rollouts
              WHERE stream_name = ANY($1::text[])
             UNION ALL
             SELECT stream_name, stream_revision FROM ${READ_MODEL_SCHEMA}.releases
              WHERE stream_name = ANY($1::text[])`,
            [namedStreams],
          )
        : [],
    ])) as { stream: string; stream_revision: number }[][];
    const reached = new Map(
      [...jobRows, ...namedRows].map((row) => [row.stream, row.stream_revision]),
    );
    return [...last].every(([stream, revision]) => (reached.get(stream) ?? -1) >= revision);
  }

  /** Rows the catch-up wrote: the jobs and rollouts among them go to the change feed. */
  private publishRows(rows: readonly ProjectedRow[]): void {
    if (!this.feed.observed) return;
    for (const row of rows) {
      if (row.op !== undefined && row.op !== 'upsert') continue;
      const values = row.values as { tenant_id: string; document: unknown };
      if (row.table === JOBS_TABLE) {
        this.feed.publish({ tenantId: values.tenant_id, job: values.document as JobDto });
      } else if (row.table === ROLLOUTS_TABLE) {
        const rollout = values.document as RolloutSummaryDto;
        this.feed.publish({ tenantId: values.tenant_id, rollout });
      }
    }
  }

  /** A batch projected inline already: its jobs and rollouts are read back for the feed. */
  private async publishChanges(batch: EventBatch): Promise<void> {
    if (!this.feed.observed) return;
    const jobIds = new Set<string>();
    const rolloutStreams = new Set<string>();
    for (const { streamName } of batch.events) {
      const job = jobOfStream(streamName);
      if (job) jobIds.add(job.jobId);
      else if (parseStreamName(streamName)?.category === 'rollout') rolloutStreams.add(streamName);
    }
    const [jobs, rollouts] = await Promise.all([
      jobIds.size > 0
        ? this.dataSource.getRepository(JobView).findBy({ jobId: In([...jobIds]) })
        : [],
      rolloutStreams.size > 0
        ? this.dataSource.getRepository(RolloutView).findBy({ streamName: In([...rolloutStreams]) })
        : [],
    ]);
    for (const row of jobs) this.feed.publish({ tenantId: row.tenantId, job: row.document });
    for (const row of rollouts) {
      this.feed.publish({ tenantId: row.tenantId, rollout: row.document });
    }
  }
}
