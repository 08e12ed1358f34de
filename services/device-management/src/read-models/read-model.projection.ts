import { Inject, Injectable } from '@nestjs/common';
import type { EventBatch, EventStore, Subscription } from '@opcfleet/event-store';
import {
  loadCheckpoint,
  storeCheckpoint,
  type SqlQuery,
} from '@opcfleet/event-store/postgres/checkpoints';
import type { Logger } from 'pino';
import { DataSource, In } from 'typeorm';
import type { JobState } from '../jobs/domain/job-kind';
import { EVENT_STORE } from '../event-sourcing/event-store.token';
import { APP_LOGGER } from '../observability/app-logger';
import { ServiceMetrics } from '../observability/service-metrics';
import type { Worker } from '../shared/worker';
import {
  JOB_STREAM_PREFIXES,
  jobOfStream,
  jobStream,
  STREAM_PREFIX,
} from '../shared/domain/stream-names';
import type { JobKind } from '../shared/domain/domain-event';
import { JobChangeFeed } from './job-change-feed';
import { toJobDto } from './read-model.dto';
import { JobView, READ_MODEL_SCHEMA } from './read-model.entities';
import { projectEvents } from './read-model.projector';

export const READ_MODEL_SUBSCRIPTION = 'read-models';
const CHECKPOINT_EVERY_MS = 1_000;
export const PROJECTED_PREFIXES = [STREAM_PREFIX.client, ...JOB_STREAM_PREFIXES];

/** Projects one batch and stores its checkpoint in the same transaction: exactly-once effect. */
export async function projectBatch(
  dataSource: DataSource,
  checkpointSchema: string,
  batch: EventBatch,
): Promise<void> {
  await dataSource.transaction(async (manager) => {
    const query: SqlQuery = (sql, params) => manager.query(sql, params);
    // Rows and checkpoint commit together; a crash that loses this commit loses both, and
    // the batch is projected again from the older checkpoint. No need to wait for the fsync.
    await query('SET LOCAL synchronous_commit = off', []);
    await projectEvents(query, batch.events);
    await storeCheckpoint(query, checkpointSchema, READ_MODEL_SUBSCRIPTION, batch.checkpoint);
  });
}

/** The durable subscription of the read models, resuming from the checkpoint projectBatch stores. */
export function subscribeReadModels(
  store: EventStore,
  dataSource: DataSource,
  checkpointSchema: string,
  logger: Logger,
  handle: (batch: EventBatch) => Promise<void>,
): Subscription {
  const query: SqlQuery = (sql, params) => dataSource.query(sql, params);
  return store.subscribe(
    {
      name: READ_MODEL_SUBSCRIPTION,
      streamPrefixes: PROJECTED_PREFIXES,
      batchSize: 500,
      checkpointing: {
        mode: 'handler',
        checkpointer: { load: (name) => loadCheckpoint(query, checkpointSchema, name) },
      },
      onError: (error, attempt) =>
        logger.warn({ err: error, attempt }, 'read-model projection failed; retrying'),
    },
    handle,
  );
}

/** Schema of the store's checkpoints table (PostgresEventStore exposes it). */
export const checkpointSchemaOf = (store: EventStore) =>
  (store as EventStore & { schema?: string }).schema ?? 'event_store';

/**
 * Keeps the read models in step with the store. Appends made by this service are already
 * projected inline; the subscription catches everything else (other replicas, a rebuild),
 * measures the projection lag and feeds the SSE stream.
 */
@Injectable()
export class ReadModelProjection implements Worker {
  readonly name = 'read-models';
  private subscription: Subscription | undefined;
  private checkpointStoredAt = 0;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly dataSource: DataSource,
    private readonly feed: JobChangeFeed,
    private readonly metrics: ServiceMetrics,
    @Inject(APP_LOGGER) private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.subscription = subscribeReadModels(
      this.store,
      this.dataSource,
      checkpointSchemaOf(this.store),
      this.logger,
      (batch) => this.handle(batch),
    );
  }

  /** Resolves once everything committed before the call is in the read models. */
  caughtUp(): Promise<void> {
    return this.subscription?.caughtUp() ?? Promise.resolve();
  }

  async stop(): Promise<void> {
    await this.subscription?.stop();
    this.feed.complete();
  }

  private async handle(batch: EventBatch): Promise<void> {
    if (await this.alreadyProjected(batch)) {
      // Usual case: this service's own appends, projected inline. Only the checkpoint moves,
      // at most once a second (a restart replays the rest, skipped by revision).
      if (Date.now() - this.checkpointStoredAt >= CHECKPOINT_EVERY_MS) {
        await storeCheckpoint(
          (sql, params) => this.dataSource.query(sql, params),
          checkpointSchemaOf(this.store),
          READ_MODEL_SUBSCRIPTION,
          batch.checkpoint,
        );
        this.checkpointStoredAt = Date.now();
      }
    } else {
      await projectBatch(this.dataSource, checkpointSchemaOf(this.store), batch);
      this.checkpointStoredAt = Date.now();
    }
    const last = batch.events[batch.events.length - 1];
    if (last) this.metrics.projectionLag.set((Date.now() - last.recordedAt.getTime()) / 1000);
    await this.publishJobChanges(batch);
  }

  /** True when every row the batch touches is already at or past the batch's events. */
  private async alreadyProjected(batch: EventBatch): Promise<boolean> {
    const last = new Map<string, number>();
    for (const event of batch.events) last.set(event.streamName, event.revision);
    const jobStreams = [...last.keys()].flatMap((name) => {
      const job = jobOfStream(name);
      return job ? [{ name, ...job }] : [];
    });
    const clientStreams = [...last.keys()].filter((name) => !jobOfStream(name));
    const [jobRows, clientRows] = (await Promise.all([
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
      clientStreams.length
        ? this.dataSource.query(
            `SELECT stream_name AS stream, stream_revision FROM ${READ_MODEL_SCHEMA}.clients
              WHERE stream_name = ANY($1::text[])`,
            [clientStreams],
          )
        : [],
    ])) as { stream: string; stream_revision: number }[][];
    const reached = new Map(
      [...jobRows, ...clientRows].map((row) => [row.stream, row.stream_revision]),
    );
    return [...last].every(([stream, revision]) => (reached.get(stream) ?? -1) >= revision);
  }

  private async publishJobChanges(batch: EventBatch): Promise<void> {
    const jobIds = [
      ...new Set(batch.events.flatMap((event) => jobOfStream(event.streamName)?.jobId ?? [])),
    ];
    if (jobIds.length === 0 || !this.feed.observed) return;
    const rows = await this.dataSource.getRepository(JobView).findBy({ jobId: In(jobIds) });
    for (const row of rows) {
      this.feed.publish({
        tenantId: row.tenantId,
        job: toJobDto(row.kind, row.state as JobState),
      });
    }
  }
}
