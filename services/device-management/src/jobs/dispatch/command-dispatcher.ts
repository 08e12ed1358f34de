import type { Checkpointer, EventBatch, EventStore, Subscription } from '@opcfleet/event-store';
import type { Logger } from 'pino';
import {
  RecordCommandDispatched,
  type RecordCommandDispatchedResult,
} from './record-command-dispatched.command';
import { BrokerUnavailableError, type MessageBus } from '../../messaging/message-bus';
import type { CommandSender } from '../../shared/command-sender';
import { retry, RetryStopped } from '../../shared/retry';
import { NO_TRACING, type TraceSpan, type Tracing } from '../../shared/tracing';
import type { Worker } from '../../shared/worker';
import type { MessagingMetrics } from '../../messaging/messaging.metrics';
import type { CommitListener, CommittedEvent } from '../../event-sourcing/local-commits';
import type { JobKind } from '../../shared/domain/domain-event';
import { JOB_STREAM_PREFIXES, jobOfStream, jobStream } from '../../shared/domain/stream-names';
import { foldJob, jobKind } from '../job-kinds';
import { buildCancelCommand, isJobCancel, type CancelJobCommand } from './cancel-command';
import { RecentIds } from './recent-ids';
import { buildJobCommand, isJobRequest, type JobCommand } from './job-command';

export interface CommandDispatcherOptions {
  /** Durable subscription name: its checkpoint is where a restart resumes. */
  subscriptionName?: string;
  commandExpiryMs: number;
  maxBackoffMs: number;
  /**
   * Where the dispatcher stores its checkpoint itself. With it, recording the dispatches of a
   * batch overlaps with publishing the next batch, and the checkpoint moves only once every
   * dispatch before it is recorded. Without it, each batch is recorded before the next is read.
   */
  checkpointer?: Checkpointer;
  /**
   * Requests committed by this process: their commands are published at once, without waiting
   * for the subscription to read them back (which waits for older transactions to end).
   */
  localCommits?: { onCommitted(listener: CommitListener): () => void };
  /** A producer span per publish, in the job's trace (the request's traceparent). */
  tracing?: Tracing;
}

/** A command the broker acknowledged, and when; `traceparent`: its publish span's. */
type Published = {
  command: JobCommand;
  streamName: string;
  acknowledgedAt: Date;
  log: Logger;
  traceparent?: string;
};

/** Which job: its kind, tenant and id (the parts of its stream's name). */
type JobRef = { kind: JobKind; tenantId: string; jobId: string };

/** The job whose stream holds this event; the dispatcher subscribes to job streams only. */
function jobRefOf(event: Pick<CommittedEvent, 'streamName'>): JobRef {
  const job = jobOfStream(event.streamName);
  if (!job) throw new Error(`not a job stream: ${event.streamName}`);
  return job;
}

/** What goes to a device: a job's command or its cancel. */
type DeviceCommand = Pick<
  JobCommand,
  'topic' | 'jobId' | 'messageId' | 'correlationId' | 'traceparent'
> & {
  expiresAt: Date;
  envelope: JobCommand['envelope'] | CancelJobCommand['envelope'];
};

/** Why a command is being sent: the first time, or again because its job went quiet. */
type DispatchReason = 'requested' | 'nudge';

/**
 * Dispatches published and not yet recorded, before publishing waits for recording. Recording
 * may lag in a burst (the job shows Dispatched a little later); publishing should not.
 */
const MAX_UNRECORDED_DISPATCHES = 5000;
/**
 * Dispatches being recorded at once: they go to the job batch writer, which stores those
 * waiting together in one statement (with the reports of the same moment).
 */
const RECORD_CONCURRENCY = 512;
/** Early publishes the subscription has not reached yet; beyond that, no more early ones. */
const MAX_EARLY_PUBLISHES = 10_000;

/**
 * Publishes each job's command to its device. The event store is the outbox: a catch-up
 * subscription over the job streams sees every UpdateRequested / ConfigChangeRequested, the
 * command is published with QoS 1, and once the broker has acknowledged it the dispatch is
 * recorded (RecordCommandDispatched). While the broker is down the same batch is retried with
 * a capped exponential back-off, so nothing is lost; a restart resumes from the checkpoint.
 *
 * Delivery is at-least-once: a crash between the PUBACK and the recorded dispatch sends the
 * command again, with the same messageId and jobId, and the agent deduplicates by jobId.
 *
 * Cancels go the same way: an UpdateCancelled / ConfigCancelled of a job whose command was
 * published sends a cancel command (`commands/cancel`, one messageId per job) to the device,
 * retried while the broker is down, before the checkpoint moves past it. A job cancelled
 * before its command left is not sent at all, and needs no cancel.
 */
export class CommandDispatcher implements Worker {
  readonly name = 'dispatch';
  private subscription: Subscription | undefined;
  /** Aborted by stop: retries end, and nothing new is published. */
  private stopping = new AbortController();
  /** Recording of published batches, in order; each link ends by storing its checkpoint. */
  private recording: Promise<void> = Promise.resolve();
  private unrecorded = 0;
  private recordsRunning = 0;
  private readonly recordSlots: Array<() => void> = [];
  /** Caught up with everything committed before start: what comes now is new. */
  private live = false;
  /** Commands published straight after their request's commit, by job id (see localCommits). */
  private readonly publishedEarly = new Map<string, Promise<Published | undefined>>();
  /**
   * Requests the subscription has already taken: it may read a commit before the committing
   * code hears back from the database, and then the early publish would send it twice.
   */
  private readonly takenBySubscription = new RecentIds(MAX_EARLY_PUBLISHES);
  private stopListening: (() => void) | undefined;

  constructor(
    private readonly store: EventStore,
    private readonly bus: MessageBus,
    private readonly commands: CommandSender,
    private readonly metrics: MessagingMetrics,
    private readonly logger: Logger,
    private readonly options: CommandDispatcherOptions,
  ) {}

  private get subscriptionName(): string {
    return this.options.subscriptionName ?? 'command-dispatcher';
  }

  async start(): Promise<void> {
    this.stopping = new AbortController();
    const checkpointer = this.options.checkpointer;
    this.subscription = this.store.subscribe(
      {
        name: this.subscriptionName,
        // One replica publishes (the others stand by): otherwise each would send every command.
        exclusive: true,
        streamPrefixes: [...JOB_STREAM_PREFIXES],
        batchSize: 100,
        ...(checkpointer && { checkpointing: { mode: 'handler' as const, checkpointer } }),
        onError: (error, attempt) =>
          this.logger.warn({ err: error, attempt }, 'dispatch batch failed, retrying'),
      },
      (batch) => this.handleBatch(batch),
    );
    this.live = false;
    this.stopListening = this.options.localCommits?.onCommitted((events) =>
      this.publishEarly(events),
    );
    this.subscription.caughtUp().then(
      () => (this.live = true),
      () => undefined,
    );
  }

  /** Resolves once every job requested before this call has been dispatched and recorded. */
  async caughtUp(): Promise<void> {
    await this.subscription?.caughtUp();
    await this.recording;
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    this.stopListening?.();
    await Promise.all(this.publishedEarly.values());
    this.publishedEarly.clear();
    await this.subscription?.stop();
    this.subscription = undefined;
    await this.recording.catch(() => undefined);
  }

  /**
   * Sends a quiet job's command again, with its message id (JobDeadlines decides when): a device
   * that never got it runs it, one that has it sends its last report again. Only the process
   * that runs the dispatch subscription nudges; false elsewhere, or when the job moved on.
   */
  async nudge(job: JobRef): Promise<boolean> {
    if (this.stopping.signal.aborted || !this.subscription?.active) return false;
    return (await this.publishJob(job, 'nudge', undefined, 'once')) !== undefined;
  }

  private async handleBatch(batch: EventBatch): Promise<void> {
    const lastRevision = new Map<string, number>();
    for (const event of batch.events) lastRevision.set(event.streamName, event.revision);
    // Cancels wait for the dispatches of earlier batches to be recorded: a job whose command
    // left is then seen as dispatched, whatever the order of PUBACK, record and cancel.
    const recordedBefore = this.recording;
    // Different jobs are independent: their publishes overlap instead of queueing.
    const publishing = Promise.all(
      batch.events.filter(isJobRequest).map(async (event) => {
        this.takenBySubscription.add(event.streamName);
        const early = this.publishedEarly.get(event.streamName);
        this.publishedEarly.delete(event.streamName);
        const sentEarly = await early;
        if (sentEarly) return sentEarly;
        // Once the subscription has caught up with what was committed before this start, a
        // request with nothing after it in its stream is the live case: the batch says all
        // there is. Before that (a replay after a restart), each request is checked against
        // its stream, so a job dispatched or cancelled meanwhile is skipped.
        const fresh = this.live && lastRevision.get(event.streamName) === event.revision;
        return this.publishJob(jobRefOf(event), 'requested', fresh ? [event] : undefined);
      }),
    );
    const cancels = batch.events.filter(isJobCancel);
    const published = await publishing;
    const sent = published.filter((item) => item !== undefined);
    if (cancels.length > 0) {
      await recordedBefore;
      const sentNow = new Set(sent.map(({ streamName }) => streamName));
      await Promise.all(
        cancels.map((event) => this.publishCancel(jobRefOf(event), sentNow.has(event.streamName))),
      );
    }
    const checkpointer = this.options.checkpointer;
    if (!checkpointer) {
      await Promise.all(sent.map((published) => this.record(published)));
      return;
    }
    const records = sent.map((published) => this.recordUntilDone(published));
    const previous = this.recording;
    this.unrecorded += records.length;
    this.recording = (async () => {
      await previous;
      await Promise.all(records);
      await this.untilDone('store the dispatch checkpoint', this.logger, () =>
        checkpointer.store(this.subscriptionName, batch.checkpoint),
      );
    })().finally(() => (this.unrecorded -= records.length));
    // Bounded pipeline: when recording falls far behind, publishing waits for it.
    if (this.unrecorded > MAX_UNRECORDED_DISPATCHES) await this.recording;
  }

  /**
   * The fast path: a job opened by this process is published right after its commit, once
   * (a broker that is down leaves it to the subscription, which retries). The subscription
   * reaches the same request moments later, finds it here, and records the dispatch in order
   * with its checkpoint, so a crash in between publishes it again: at-least-once either way.
   */
  private publishEarly(events: readonly CommittedEvent[]): void {
    // A standby replica leaves its requests to the one running the subscription.
    if (!this.live || this.stopping.signal.aborted || !this.subscription?.active) return;
    for (const event of events) {
      // Only a job's opening append holds its whole stream, from which its state is known.
      if (!isJobRequest(event) || event.revision !== 0) continue;
      if (this.publishedEarly.size >= MAX_EARLY_PUBLISHES) return;
      if (this.takenBySubscription.has(event.streamName)) continue;
      const stream = events.filter((e) => e.streamName === event.streamName);
      const job = jobRefOf(event);
      this.publishedEarly.set(
        event.streamName,
        this.publishJob(job, 'requested', stream, 'once').catch((error: unknown) => {
          this.logger.debug(
            { err: error, jobId: job.jobId },
            'early publish failed; the subscription will',
          );
          return undefined;
        }),
      );
    }
  }

  /**
   * Loads the job and publishes its command if it still needs one. The job's own state
   * decides: a job already dispatched, received, final or cancelled is not sent again by the
   * subscription (nothing is re-decided after a restart); a nudge only goes to jobs that were
   * sent and have not ended. Returns the published command, if any.
   */
  private async publishJob(
    job: JobRef,
    reason: DispatchReason,
    knownEvents?: readonly CommittedEvent[],
    attempts: 'once' | 'until-acknowledged' = 'until-acknowledged',
  ): Promise<Published | undefined> {
    const { kind, jobId } = job;
    const streamName = jobStream(kind, job.tenantId, jobId);
    const events = knownEvents ?? (await this.store.readStream(streamName));
    const request = events.find(isJobRequest);
    const track = jobTrack(kind, events);
    const log = this.logger.child({
      correlationId: request?.metadata.correlationId,
      jobKind: kind,
      jobId,
      reason,
    });
    const wanted = reason === 'requested' ? ['Requested'] : ['Dispatched', 'InProgress'];
    // A replay after a crash between publishing and recording: the device may have answered
    // already, or even ended the job, but the stream lacks the dispatch. It is sent again (same
    // message id: a device that has the job runs it once, and sends its last report again) so
    // that the dispatch is recorded. The device has it when one of its reports was applied.
    const dispatched = jobKind(kind).rules.eventTypes.dispatched;
    const sendable = (history: readonly CommittedEvent[], now = jobTrack(kind, history)) =>
      now !== undefined &&
      (wanted.includes(now.status) ||
        (reason === 'requested' &&
          now.lastSeq > 0 &&
          !history.some((event) => event.type === dispatched)));
    if (!request || !track || !sendable(events, track)) {
      log.debug({ status: track?.status }, 'no command to send for this job');
      return undefined;
    }
    const built = buildJobCommand(request, this.options.commandExpiryMs);
    if (!built.ok) {
      // Cannot happen for a request the API validated; never block the other jobs on it.
      log.error({ errors: built.errors }, 'job request does not make a valid command, not sent');
      return undefined;
    }
    const command = built.command;
    if (command.expiresAt.getTime() <= Date.now()) {
      log.warn({ expiresAt: command.expiresAt }, 'command expired before it could be sent');
      return undefined;
    }
    // A job cancelled while the broker was down is not sent once it is back.
    const stillWanted = async () => sendable(await this.store.readStream(streamName));
    const span = this.publishSpan(`publish ${kind} command`, command, reason);
    let acknowledged: boolean;
    try {
      acknowledged = await this.publishUntilAcknowledged(command, log, attempts, stillWanted);
    } catch (error) {
      span.fail(error);
      span.end();
      throw error;
    }
    span.setAttributes({ 'opcfleet.dispatch.sent': acknowledged });
    span.end();
    if (!acknowledged) {
      log.info({ status: 'Cancelled' }, 'job cancelled before its command could be sent');
      return undefined;
    }
    const acknowledgedAt = new Date();
    if (reason === 'requested') {
      this.metrics.dispatchLatency.observe(
        { kind },
        (Date.now() - request.recordedAt.getTime()) / 1000,
      );
    }
    this.metrics.commandsDispatched.inc({ kind, reason });
    log.info(
      { messageId: command.messageId, topic: command.topic },
      'command published and acknowledged',
    );
    return { command, streamName, acknowledgedAt, log, traceparent: span.traceparent };
  }

  /** The producer span of a publish, child of the job's trace context (none: a new trace). */
  private publishSpan(
    name: string,
    command: DeviceCommand & { traceparent?: string },
    reason: DispatchReason | 'cancel',
  ): TraceSpan {
    const tracing = this.options.tracing ?? NO_TRACING;
    return tracing.startSpan(name, {
      parent: command.traceparent,
      kind: 'producer',
      attributes: tracing.enabled
        ? {
            'messaging.system': 'mqtt',
            'messaging.operation.type': 'send',
            'messaging.destination.name': command.topic,
            'messaging.message.id': command.messageId,
            'opcfleet.job.id': command.jobId,
            'opcfleet.dispatch.reason': reason,
          }
        : undefined,
    });
  }

  /**
   * Sends the cancel command of a cancelled job whose command may have reached the device: its
   * dispatch is recorded, or it was published in this very batch. While catching up after a
   * start, a job's command may also have been published just before the last stop without its
   * dispatch being recorded: the cancel is sent then too (a device that never got the job
   * only remembers the cancel). An expired cancel is not sent: the job has expired too.
   */
  private async publishCancel(job: JobRef, sentInBatch: boolean): Promise<void> {
    const { kind, jobId } = job;
    const events = await this.store.readStream(jobStream(kind, job.tenantId, jobId));
    const request = events.find(isJobRequest);
    const cancel = events.find(isJobCancel);
    const log = this.logger.child({
      correlationId: cancel?.metadata.correlationId ?? request?.metadata.correlationId,
      jobKind: kind,
      jobId,
      reason: 'cancel',
    });
    if (!request || !cancel) return;
    const dispatchedType = jobKind(kind).rules.eventTypes.dispatched;
    const dispatched = events.some((event) => event.type === dispatchedType);
    if (!dispatched && !sentInBatch && this.live) {
      log.info('job cancelled before its command was sent: nothing to stop on the device');
      return;
    }
    const jobCommand = buildJobCommand(request, this.options.commandExpiryMs);
    const built = jobCommand.ok
      ? buildCancelCommand(cancel, jobCommand.command, this.options.commandExpiryMs)
      : jobCommand;
    if (!built.ok) {
      log.error({ errors: built.errors }, 'cancel does not make a valid command, not sent');
      return;
    }
    const command = built.command;
    if (command.expiresAt.getTime() <= Date.now()) {
      log.info({ expiresAt: command.expiresAt }, 'cancel command expired, not sent');
      return;
    }
    const span = this.publishSpan('publish cancel command', command, 'cancel');
    try {
      await this.publishUntilAcknowledged(command, log, 'until-acknowledged');
    } catch (error) {
      span.fail(error);
      throw error;
    } finally {
      span.end();
    }
    this.metrics.commandsDispatched.inc({ kind, reason: 'cancel' });
    log.info(
      { messageId: command.messageId, topic: command.topic },
      'cancel command published and acknowledged',
    );
  }

  private async record({ command, acknowledgedAt, log, traceparent }: Published): Promise<void> {
    const recorded = (await this.commands.execute(
      new RecordCommandDispatched({
        jobKind: command.kind,
        tenantId: command.tenantId,
        jobId: command.jobId,
        messageId: command.messageId,
        topic: command.topic,
        dispatchedAt: acknowledgedAt,
        correlationId: command.correlationId,
        ...(traceparent && { traceparent }),
      }),
    )) as RecordCommandDispatchedResult | undefined;
    log.info({ messageId: command.messageId, outcome: recorded?.outcome }, 'dispatch recorded');
  }

  private async recordUntilDone(published: Published): Promise<void> {
    while (this.recordsRunning >= RECORD_CONCURRENCY) {
      await new Promise<void>((resolve) => this.recordSlots.push(resolve));
    }
    this.recordsRunning++;
    try {
      await this.untilDone('record the dispatch', published.log, () => this.record(published));
    } finally {
      this.recordsRunning--;
      this.recordSlots.shift()?.();
    }
  }

  /**
   * Retries `work` with capped back-off until it succeeds or the dispatcher stops; stopping
   * leaves the checkpoint where it was, so the next start replays (and re-publishes) the rest.
   */
  private untilDone(what: string, log: Logger, work: () => Promise<void>): Promise<void> {
    return retry(work, {
      // The database away, or anything else: this fact must be stored before the checkpoint.
      classify: () => 'outage',
      maxBackoffMs: this.options.maxBackoffMs,
      signal: this.stopping.signal,
      onRetry: ({ error, attempt, delayMs }) =>
        log.warn({ err: error, attempt, retryInMs: delayMs }, `could not ${what}, retrying`),
    });
  }

  /** True once acknowledged; false when `stillWanted` says, before a retry, not to send it. */
  private publishUntilAcknowledged(
    command: DeviceCommand,
    log: Logger,
    attempts: 'once' | 'until-acknowledged',
    stillWanted?: () => Promise<boolean>,
  ): Promise<boolean> {
    const stopping = this.stopping.signal;
    return retry(
      async (attempt) => {
        if (stopping.aborted) throw new RetryStopped(undefined);
        if (attempt > 0 && stillWanted && !(await stillWanted())) return false;
        await this.bus.publish({
          topic: command.topic,
          payload: JSON.stringify(command.envelope),
          expiresAt: command.expiresAt,
          correlationId: command.correlationId,
          userProperties: { jobId: command.jobId, messageId: command.messageId },
        });
        return true;
      },
      {
        classify: (error) => (error instanceof BrokerUnavailableError ? 'outage' : 'fatal'),
        maxOutageRetries: attempts === 'once' ? 0 : Infinity,
        maxBackoffMs: this.options.maxBackoffMs,
        signal: stopping,
        onRetry: ({ error, attempt, delayMs }) =>
          log.warn(
            { err: (error as Error).message, attempt, retryInMs: delayMs },
            'broker unavailable, will retry',
          ),
      },
    );
  }
}

/** The job's status, and the seq of the last report of its device applied (0: none yet). */
function jobTrack(
  kind: JobKind,
  events: readonly CommittedEvent[],
): { status: string; lastSeq: number } | undefined {
  const state = foldJob(
    kind,
    events.map((event) => ({ type: event.type, data: event.data })),
  );
  return state ? { status: state.status, lastSeq: state.lastSeq } : undefined;
}
