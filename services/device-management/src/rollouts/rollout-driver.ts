import { Inject, Injectable, Optional } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { EventMetadata, EventStore, RecordedEvent, Subscription } from '@opcfleet/event-store';
import type { Logger } from 'pino';
import { DataSource, LessThanOrEqual } from 'typeorm';
import { RolloutView } from '../read-models/read-model.entities';
import { EVENT_STORE } from '../event-sourcing/event-store.token';
import { retryOnConflict } from '../event-sourcing/event-streams';
import { APP_LOGGER } from '../observability/app-logger';
import type { Worker } from '../shared/worker';
import { DomainError } from '../shared/domain/domain-error';
import { mapConcurrently } from '../shared/map-concurrently';
import type { CommandContext, JobKind } from '../shared/domain/domain-event';
import {
  clientStream,
  parseStreamName,
  rolloutStream,
  STREAM_PREFIX,
  jobStream,
} from '../shared/domain/stream-names';
import { RequestConfigChange } from '../jobs/config/request-config-change/request-config-change.command';
import { kindRequestedBy } from '../jobs/job-kinds';
import { RequestUpdate } from '../jobs/update/request-update/request-update.command';
import { RequestJobs, type RequestJobsResult } from '../jobs/request-jobs/request-jobs.command';
import {
  decideRolloutAll,
  jobKindOfRollout,
  nextWave,
  progressOf,
  rollbackTargetOf,
  type Rollout,
  type RolloutCommand,
} from './domain/rollout.decider';
import { ROLLOUT_EVENT_TYPES, type RolloutJobOutcome } from './domain/rollout.events';
import { rolloutsFollowing, rolloutsHoldingClients } from './rollout-read-model';
import { RolloutStreams } from './rollout-streams';

export const ROLLOUT_DRIVER_SUBSCRIPTION = 'rollout-driver';
/** Nest token of the driver's subscription name (absent: ROLLOUT_DRIVER_SUBSCRIPTION). */
export const ROLLOUT_DRIVER_NAME = Symbol('RolloutDriverName');
/** How often the driver looks for soaks that are over and retries that are due. */
const CLOCK_MS = 1_000;
/** Jobs of a wave adopted at once (a read of the job's stream each: rare, after a crash). */
const ADOPTIONS_AT_ONCE = 8;
/** Actor of every event the driver causes; with correlationId = rolloutId it marks a rollout's jobs. */
export const ROLLOUT_ACTOR = 'system:rollouts';

/** How a rollout reads the final event of a job it opened, of either kind. */
const OUTCOME_OF_FINAL_EVENT: Partial<Record<string, RolloutJobOutcome>> = {
  UpdateSucceeded: 'succeeded',
  UpdateFailed: 'failed',
  UpdateRolledBack: 'rolled_back',
  UpdateTimedOut: 'timed_out',
  UpdateCancelled: 'cancelled',
  ConfigApplied: 'succeeded',
  ConfigRejected: 'failed',
  ConfigTimedOut: 'timed_out',
  ConfigCancelled: 'cancelled',
};

/** The event a job of each kind leaves on its client's stream, with the job's metadata. */
const CLIENT_MARK: Record<JobKind, string> = {
  update: 'ClientUpdateStarted',
  config: 'ClientConfigRequested',
};

/**
 * The context of the driver's commands for a rollout: its jobs carry the rollout id, and the
 * trace context of the request that started it (`origin`, the metadata of its first event), so
 * that each job's command, the device's steps and its reports join the rollout's trace.
 */
const contextOf = (rollout: Rollout, origin: EventMetadata | undefined): CommandContext => ({
  actor: ROLLOUT_ACTOR,
  tenantId: rollout.request.tenantId,
  correlationId: rollout.request.rolloutId,
  causationId: rolloutStream(rollout.request.tenantId, rollout.request.rolloutId),
  ...(typeof origin?.traceparent === 'string' && { traceparent: origin.traceparent }),
});

/** The rollout whose driver caused an event with this metadata, if any. */
const rolloutOf = (metadata: EventMetadata | undefined): string | undefined =>
  metadata?.actor === ROLLOUT_ACTOR ? metadata.correlationId : undefined;

/**
 * The process manager of rollouts, driven by a durable exclusive subscription (one replica
 * drives; the checkpoint is stored after each batch, so a crash replays the batch):
 *
 * - an event on a rollout stream: request the next wave (at most batchSize jobs in flight)
 *   through the RequestJobs command (one append for the wave), and record RolloutJobRequested
 *   / RolloutClientSkipped;
 * - the final event of an update job the driver opened: record RolloutJobFinished (the
 *   decider halts or completes the rollout), then the next wave.
 *
 * Restart safety. Every job the driver opens carries `actor: system:rollouts` and
 * `correlationId: rolloutId` in its metadata, and so does its ClientUpdateStarted on the client
 * stream. Before requesting a job for a client, the driver looks there for a job this rollout
 * already opened: a job whose RolloutJobRequested was lost (crash between the two appends, a
 * conflict on the rollout stream) is adopted, never requested twice, with its end when it
 * ended meanwhile. Each append to the
 * rollout stream is at the revision the decision was taken on; on a conflict the driver
 * reloads and records the jobs it already opened whatever the new state (a cancel that came in
 * between stops the next wave, not the jobs already opened). Recording a fact twice decides
 * nothing (the decider ignores a client that already has an entry). Decisions are taken on
 * the rollout stream as it is now, not as it was at the subscription's position: a job's end
 * may be recorded before the driver reaches the rollout's later events, which is harmless.
 */
@Injectable()
export class RolloutDriver implements Worker {
  readonly name = 'rollouts';
  private subscription: Subscription | undefined;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly rollouts: RolloutStreams,
    private readonly commands: CommandBus,
    private readonly dataSource: DataSource,
    @Inject(APP_LOGGER) logger: Logger,
    /**
     * Its durable subscription, exclusive among the drivers of that name. Another name makes a
     * second driver that runs at the same time (what a lost lock would do): tests use it.
     */
    @Optional()
    @Inject(ROLLOUT_DRIVER_NAME)
    private readonly subscriptionName: string = ROLLOUT_DRIVER_SUBSCRIPTION,
  ) {
    this.logger = logger.child({ component: 'rollouts', driver: subscriptionName });
  }

  private readonly logger: Logger;
  private clock: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  /** The wake-up time of each rollout the clock last looked at. */
  private woken = new Map<string, number>();

  async start(): Promise<void> {
    this.clock = setInterval(() => void this.wakeDue(), CLOCK_MS);
    this.subscription = this.store.subscribe(
      {
        name: this.subscriptionName,
        streamPrefixes: [
          STREAM_PREFIX.rollout,
          STREAM_PREFIX.updateJob,
          STREAM_PREFIX.configJob,
          // Registrations: rollouts that follow their labels take the new clients.
          STREAM_PREFIX.client,
        ],
        // Of a job, only its end; of a client, its registration: the database skips the
        // reports (seven per job), so a batch brings the ends of many more jobs.
        eventTypes: [
          ...ROLLOUT_EVENT_TYPES,
          ...Object.keys(OUTCOME_OF_FINAL_EVENT),
          'ClientRegistered',
        ],
        batchSize: 1_000,
        // A wave follows its jobs' ends 25 ms later at most, with the ends of that time in one
        // batch: under load, one read per 25 ms instead of one per commit.
        readIntervalMs: 25,
        exclusive: true,
        onError: (error, attempt) =>
          this.logger.warn({ err: error, attempt }, 'rollout driver batch failed; retrying'),
      },
      ({ events }) => this.handle(events),
    );
  }

  /** Resolves once everything committed before the call has been driven. */
  caughtUp(): Promise<void> {
    return this.subscription?.caughtUp() ?? Promise.resolve();
  }

  async stop(): Promise<void> {
    clearInterval(this.clock);
    await this.ticking;
    await this.subscription?.stop();
  }

  /**
   * The rollouts' clock: a rollout whose wake-up time passed (in the read model: a soak's end,
   * a retry due, its maintenance window opening) ends its soak, and its next wave is requested.
   * Every replica ticks: a soak ended twice, or a job recorded twice, decides nothing the
   * second time.
   */
  private wakeDue(): Promise<void> {
    if (this.ticking) return this.ticking;
    this.ticking = (async () => {
      try {
        const due = await this.dataSource.getRepository(RolloutView).find({
          select: { tenantId: true, rolloutId: true, wakeAt: true },
          where: { wakeAt: LessThanOrEqual(new Date()) },
        });
        // A wake-up that changed nothing (a window opened with every job in flight) leaves
        // its time behind in the row: look at that rollout again only when the time moves.
        const woken = new Map<string, number>();
        for (const { tenantId, rolloutId, wakeAt } of due) {
          const time = wakeAt!.getTime();
          woken.set(rolloutId, time);
          if (this.woken.get(rolloutId) === time) continue;
          const at = new Date().toISOString();
          await this.advance(tenantId, rolloutId, [{ type: 'Tick', data: { at } }]);
        }
        this.woken = woken;
      } catch (error) {
        this.logger.warn({ err: error }, 'rollout clock failed; trying again');
      } finally {
        this.ticking = undefined;
      }
    })();
    return this.ticking;
  }

  /**
   * A batch of the subscription: the facts it brings are recorded on each rollout they concern
   * (a job's end, a client that joins), and each rollout touched requests its next wave; one
   * load and one append per rollout and batch.
   */
  private async handle(events: readonly RecordedEvent[]): Promise<void> {
    const facts = new Map<
      string,
      { tenantId: string; rolloutId: string; commands: RolloutCommand[] }
    >();
    const factsOf = (tenantId: string, rolloutId: string) => {
      const key = rolloutStream(tenantId, rolloutId);
      const known = facts.get(key) ?? { tenantId, rolloutId, commands: [] };
      facts.set(key, known);
      return known.commands;
    };
    const origins = await this.originsOfFinalEvents(events);
    for (const event of events) {
      const stream = parseStreamName(event.streamName);
      if (stream?.category === 'rollout') {
        factsOf(stream.tenantId, stream.rolloutId);
        continue;
      }
      if (stream?.category === 'client' && event.type === 'ClientRegistered') {
        const { labels } = event.data as { labels: Record<string, string> };
        const at = event.recordedAt.toISOString();
        for (const rolloutId of await rolloutsFollowing(this.dataSource, stream.tenantId, labels)) {
          factsOf(stream.tenantId, rolloutId).push({
            type: 'AddTarget',
            // Its labels: the zone of its maintenance window may be one of them.
            data: { clientId: stream.clientId, at, labels },
          });
        }
        continue;
      }
      const outcome = OUTCOME_OF_FINAL_EVENT[event.type];
      const origin = origins.get(event.streamName);
      const rolloutId = rolloutOf(origin?.metadata);
      if (!stream || !outcome || !origin || !rolloutId) continue;
      const { clientId, jobId } = origin.data as { clientId: string; jobId: string };
      const code = (event.data as { code?: unknown }).code;
      factsOf(stream.tenantId, rolloutId).push({
        type: 'RecordJobFinished',
        data: {
          clientId,
          jobId,
          outcome,
          ...(typeof code === 'string' ? { code } : {}),
          at: event.recordedAt.toISOString(),
        },
      });
    }
    for (const { tenantId, rolloutId, commands } of facts.values()) {
      await this.advance(tenantId, rolloutId, commands);
    }
  }

  /** The first event of each job stream whose final event is in the batch, in one read. */
  private async originsOfFinalEvents(
    events: readonly RecordedEvent[],
  ): Promise<Map<string, RecordedEvent>> {
    const jobStreams = new Set<string>();
    for (const event of events) {
      const category = parseStreamName(event.streamName)?.category;
      if (OUTCOME_OF_FINAL_EVENT[event.type] && category && category !== 'client') {
        jobStreams.add(event.streamName);
      }
    }
    if (jobStreams.size === 0) return new Map();
    const streams = await this.store.readStreams([...jobStreams]);
    const origins = new Map<string, RecordedEvent>();
    for (const [streamName, recorded] of streams) {
      const [origin] = recorded;
      if (origin && kindRequestedBy(origin.type)) origins.set(streamName, origin);
    }
    return origins;
  }

  /**
   * Records `facts` on the rollout, then requests jobs while it has free slots and pending
   * targets, and records them: one append.
   */
  private async advance(
    tenantId: string,
    rolloutId: string,
    facts: readonly RolloutCommand[] = [],
  ): Promise<void> {
    // What this call already did to the outside world: kept across conflict retries.
    const done = new Map<string, RolloutCommand>();
    await retryOnConflict(async () => {
      const { state, expectedRevision, origin } = await this.rollouts.load(tenantId, rolloutId);
      if (!state) return;
      const context = contextOf(state, origin);
      let { events, state: next } = decideRolloutAll([...facts, ...done.values()], state);
      const wave: string[] = [];
      const now = () => new Date().toISOString();
      for (
        let clients = nextWave(next, now());
        clients.length > 0;
        clients = nextWave(next, now())
      ) {
        // A client whose command changed nothing would come back forever: stop there.
        if (clients.every((clientId) => done.has(clientId) && wave.includes(clientId))) break;
        const commands = await this.requestJobs(next!, clients, context);
        clients.forEach((clientId, index) => done.set(clientId, commands[index]));
        wave.push(...clients);
        const decided = decideRolloutAll(commands, next);
        events = [...events, ...decided.events];
        next = decided.state;
      }
      if (events.length === 0) return;
      await this.rollouts.append(state, events, {
        expectedRevision,
        context,
      });
      if (wave.length > 0 && next) {
        this.logger.info(
          {
            correlationId: rolloutId,
            rolloutId,
            wave: wave.length,
            firstClientId: wave[0],
            phase: next.phase,
            status: next.status,
            ...progressOf(next),
          },
          'rollout wave requested',
        );
      }
    });
  }

  /**
   * The jobs of a wave. What each client of it already holds is read for all at once: a job
   * this rollout opened there (adopted), another rollout holding it (skipped). The other
   * clients' jobs are requested together (RequestJobs: one append for the wave).
   */
  private async requestJobs(
    rollout: Rollout,
    clientIds: string[],
    context: CommandContext,
  ): Promise<RolloutCommand[]> {
    const [earlier, holders] = await Promise.all([
      this.jobsOfRolloutOn(rollout, clientIds),
      rolloutsHoldingClients(this.dataSource, rollout, clientIds),
    ]);
    const free = clientIds.filter((clientId) => !earlier.has(clientId) && !holders.has(clientId));
    const answers = await this.commands.execute<RequestJobs, RequestJobsResult>(
      new RequestJobs(free.map((clientId) => jobRequestOf(rollout, clientId, context))),
    );
    const answerOf = new Map(free.map((clientId, index) => [clientId, answers[index]]));
    return mapConcurrently(clientIds, ADOPTIONS_AT_ONCE, async (clientId) => {
      const jobId = earlier.get(clientId);
      if (jobId) return this.adopt(rollout, clientId, jobId);
      const other = holders.get(clientId);
      if (other) {
        return skipped(
          clientId,
          'in_another_rollout',
          `client ${clientId} is a target of rollout ${other}, started earlier and not done with it`,
        );
      }
      return this.recordAnswer(rollout, clientId, answerOf.get(clientId)!);
    });
  }

  /** What the answer to a job request means for the rollout: a job, or a skipped client. */
  private async recordAnswer(
    rollout: Rollout,
    clientId: string,
    answer: RequestJobsResult[number],
  ): Promise<RolloutCommand> {
    if (!(answer instanceof Error)) {
      return {
        type: 'RecordJobRequested',
        data: { clientId, jobId: answer.jobId, at: new Date().toISOString() },
      };
    }
    // Transient (too many concurrent writers) or not a refusal: the batch is retried.
    if (!(answer instanceof DomainError) || answer.code === 'concurrency_conflict') throw answer;
    // Refused because another driver of this rollout got there first: that job is ours.
    const raced = (await this.jobsOfRolloutOn(rollout, [clientId])).get(clientId);
    if (raced) return this.adopt(rollout, clientId, raced);
    return skipped(clientId, answer.code, answer.message);
  }

  /**
   * A job this rollout opened but never recorded. It may have ended already, its final event
   * handled while the rollout did not know it: then its end is recorded with it.
   */
  private async adopt(rollout: Rollout, clientId: string, jobId: string): Promise<RolloutCommand> {
    const kind = jobKindOfRollout(rollout.request);
    const events = await this.store.readStream(jobStream(kind, rollout.request.tenantId, jobId));
    const final = events.find((event) => OUTCOME_OF_FINAL_EVENT[event.type]);
    if (final) {
      const code = (final.data as { code?: unknown }).code;
      return {
        type: 'RecordJobFinished',
        data: {
          clientId,
          jobId,
          outcome: OUTCOME_OF_FINAL_EVENT[final.type]!,
          ...(typeof code === 'string' ? { code } : {}),
          at: final.recordedAt.toISOString(),
        },
      };
    }
    return { type: 'RecordJobRequested', data: { clientId, jobId, at: new Date().toISOString() } };
  }

  /**
   * The latest job this rollout opened on each client, found by its mark on the client stream;
   * not the failed job a retry or a roll-back replaces. One read for all the clients.
   */
  private async jobsOfRolloutOn(
    rollout: Rollout,
    clientIds: readonly string[],
  ): Promise<Map<string, string>> {
    const { tenantId, rolloutId } = rollout.request;
    const streams = await this.store.readStreams(
      clientIds.map((clientId) => clientStream(tenantId, clientId)),
    );
    const markType = CLIENT_MARK[jobKindOfRollout(rollout.request)];
    const jobs = new Map<string, string>();
    for (const clientId of clientIds) {
      const events = streams.get(clientStream(tenantId, clientId)) ?? [];
      const mark = events.findLast(
        (event) => event.type === markType && rolloutOf(event.metadata) === rolloutId,
      );
      const jobId = (mark?.data as { jobId: string } | undefined)?.jobId;
      const entry = rollout.clients.get(clientId);
      const replaced = entry?.jobId === jobId && (entry?.retryAt || rollout.rollback);
      if (jobId && !replaced) jobs.set(clientId, jobId);
    }
    return jobs;
  }
}

const skipped = (clientId: string, code: string, reason: string): RolloutCommand => ({
  type: 'RecordClientSkipped',
  data: { clientId, code, reason, at: new Date().toISOString() },
});

/**
 * The request of the job a rollout opens on a client: an update, or a configuration; while
 * rolling back, an update to the client's own earlier release.
 */
function jobRequestOf(
  rollout: Rollout,
  clientId: string,
  context: CommandContext,
): RequestUpdate | RequestConfigChange {
  const { config, targetVersion, image, imageDigest } = rollout.request;
  const back = rollbackTargetOf(rollout, clientId);
  if (back) {
    return new RequestUpdate({ context, clientId, targetVersion: back.version, image: back.image });
  }
  if (config) return new RequestConfigChange({ context, clientId, ...config });
  const { release } = rollout.request;
  return new RequestUpdate({
    context,
    clientId,
    targetVersion: targetVersion!,
    image: image!,
    ...(imageDigest ? { imageDigest } : {}),
    ...(release ? { release: { ...release, version: targetVersion! } } : {}),
  });
}
