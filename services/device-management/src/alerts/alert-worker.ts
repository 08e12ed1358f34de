import { Inject, Injectable } from '@nestjs/common';
import type { EventStore, RecordedEvent, Subscription } from '@opcfleet/event-store';
import type { Logger } from 'pino';
import { APP_CONFIG, type AppConfig } from '../config/app.config';
import { EVENT_STORE } from '../event-sourcing/event-store.token';
import { APP_LOGGER } from '../observability/app-logger';
import { parseStreamName, STREAM_PREFIX } from '../shared/domain/stream-names';
import { mapConcurrently } from '../shared/map-concurrently';
import type { Worker } from '../shared/worker';
import { ALERT_EVENT_TYPES, ALERT_KIND_OF_EVENT } from './alert-kinds';
import { AlertStore, type ClaimedDelivery, type NewDelivery } from './alert-store';
import { nextAttemptDelay, type DeliverySchedule } from './delivery-schedule';
import { postWebhook, type AttemptResult } from './webhook-sender';

export const ALERT_SUBSCRIPTION = 'alerts';
/** Deliveries taken per round of the sender, and sent at once. */
const CLAIM_BATCH = 32;
const SENDS_AT_ONCE = 8;
/** Client conditions alerted per sweep (the next sweep takes the rest). */
const CONDITIONS_AT_ONCE = 500;
/** How often ended deliveries older than the retention are deleted, and how many per statement. */
const PRUNE_EVERY_MS = 60 * 60_000;
const PRUNE_BATCH = 10_000;

/**
 * Alerts, in two halves that never wait for each other:
 *
 * - the enqueuer: a durable exclusive subscription to the job ends and rollout events that
 *   raise an alert (the store filters by type). For each event it writes one pending delivery
 *   per subscription of the event's tenant that wants its kind and existed when the event was
 *   recorded (one insert per batch, idempotent: a replayed batch adds nothing), and that is all:
 *   it sends nothing, so a receiver that is slow or down holds up nothing but its own log;
 * - the sender: every ALERT_SENDER_POLL_SECONDS (and at once after new deliveries) it takes the
 *   due pending deliveries (FOR UPDATE SKIP LOCKED, so replicas share them; a lease covers a
 *   process dying mid-attempt), posts each, signed, and records the outcome: `succeeded`, due
 *   again after the back-off of delivery-schedule.ts, or `failed` after the last attempt.
 *
 * The sender also sweeps the read models, once per poll, for what no event announces: clients
 * offline longer than a subscription's offlineMinutes, devices whose workload is down or whose
 * clock is skewed (their state summaries); and, once an hour, deletes the deliveries that ended
 * (succeeded or failed) longer than ALERT_DELIVERY_RETENTION_DAYS ago.
 *
 * At least once: a receiver dedupes by the delivery id header.
 */
@Injectable()
export class AlertWorker implements Worker {
  readonly name = 'alerts';
  private subscription: Subscription | undefined;
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> | undefined;
  private again = false;
  private lastSweep = 0;
  private lastPrune = 0;
  private stopped = true;
  private readonly logger: Logger;
  private readonly schedule: DeliverySchedule;
  private readonly timeoutMs: number;
  private readonly pollMs: number;
  private readonly thresholds: { clockSkewSeconds: number; diskLowBytes: number };
  private readonly retentionMs: number;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly alerts: AlertStore,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(APP_LOGGER) logger: Logger,
  ) {
    this.logger = logger.child({ component: 'alerts' });
    const { maxAttempts, initialDelayMs, maxDelayMs, timeoutMs, pollIntervalMs } = config.alerts;
    this.schedule = { maxAttempts, initialDelayMs, maxDelayMs };
    this.timeoutMs = timeoutMs;
    this.pollMs = pollIntervalMs;
    const { clockSkewSeconds, diskLowBytes } = config.alerts;
    this.thresholds = { clockSkewSeconds, diskLowBytes };
    this.retentionMs = config.alerts.retentionMs;
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.timer = setInterval(() => this.kick(), this.pollMs);
    this.subscription = this.store.subscribe(
      {
        name: ALERT_SUBSCRIPTION,
        streamPrefixes: [STREAM_PREFIX.updateJob, STREAM_PREFIX.configJob, STREAM_PREFIX.rollout],
        eventTypes: [...ALERT_EVENT_TYPES],
        batchSize: 500,
        // A webhook a quarter of a second later is as good; a read per commit is not.
        readIntervalMs: 250,
        exclusive: true,
        onError: (error, attempt) =>
          this.logger.warn({ err: error, attempt }, 'alert batch failed; retrying'),
      },
      ({ events }) => this.enqueue(events),
    );
  }

  /** Resolves once every event committed before the call is enqueued (not yet sent). */
  caughtUp(): Promise<void> {
    return this.subscription?.caughtUp() ?? Promise.resolve();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.subscription?.stop();
    // The round in flight ends within the HTTP timeout; what it did not take stays pending.
    await this.sending;
  }

  /** The deliveries of a batch of events, written pending; then the sender is woken. */
  private async enqueue(events: readonly RecordedEvent[]): Promise<void> {
    const alerting = events.flatMap((event) => {
      const stream = parseStreamName(event.streamName);
      const kind = ALERT_KIND_OF_EVENT[event.type];
      return stream && kind ? [{ event, stream, kind }] : [];
    });
    if (alerting.length === 0) return;
    const subscribers = await this.alerts.subscribersOf(alerting.map((a) => a.stream.tenantId));
    if (subscribers.length === 0) return;
    const clients = await this.alerts.clientsOfJobs(
      alerting.flatMap(({ stream }) => ('jobId' in stream ? [stream.jobId] : [])),
    );
    const deliveries: NewDelivery[] = [];
    for (const { event, stream, kind } of alerting) {
      for (const subscriber of subscribers) {
        if (subscriber.tenantId !== stream.tenantId || !subscriber.kinds.includes(kind)) continue;
        // An event from before the subscription (a first start replaying history) is not sent.
        if (event.recordedAt < subscriber.createdAt) continue;
        const subject =
          'jobId' in stream
            ? {
                jobId: stream.jobId,
                jobKind: stream.category === 'config-job' ? 'config' : 'update',
                ...(clients.has(stream.jobId) ? { clientId: clients.get(stream.jobId) } : {}),
              }
            : 'rolloutId' in stream
              ? { rolloutId: stream.rolloutId }
              : {};
        deliveries.push({
          tenantId: stream.tenantId,
          subscriptionId: subscriber.subscriptionId,
          eventId: event.id,
          eventType: event.type,
          kind,
          bodyOf: (deliveryId) =>
            JSON.stringify({
              deliveryId,
              subscriptionId: subscriber.subscriptionId,
              tenantId: stream.tenantId,
              kind,
              occurredAt: event.recordedAt.toISOString(),
              subject,
              event: {
                id: event.id,
                type: event.type,
                data: event.data,
                ...(event.metadata?.correlationId
                  ? { correlationId: event.metadata.correlationId }
                  : {}),
              },
            }),
        });
      }
    }
    const added = await this.alerts.enqueue(deliveries);
    if (added > 0) {
      this.logger.debug({ deliveries: added }, 'alert deliveries enqueued');
      this.kick();
    }
  }

  /**
   * The deliveries of conditions no event announces (a client offline too long, a device's
   * workload down or its clock skewed), read from the read models once per poll; each
   * condition once (AlertStore.clientConditions).
   */
  private async enqueueConditions(): Promise<void> {
    const conditions = await this.alerts.clientConditions(CONDITIONS_AT_ONCE, this.thresholds);
    const added = await this.alerts.enqueue(
      conditions.map((condition) => ({
        tenantId: condition.tenantId,
        subscriptionId: condition.subscriptionId,
        eventId: condition.eventId,
        eventType: condition.eventType,
        kind: condition.kind,
        bodyOf: (deliveryId: string) =>
          JSON.stringify({
            deliveryId,
            subscriptionId: condition.subscriptionId,
            tenantId: condition.tenantId,
            kind: condition.kind,
            occurredAt: new Date().toISOString(),
            subject: { clientId: condition.clientId },
            event: { id: condition.eventId, type: condition.eventType, data: condition.data },
          }),
      })),
    );
    if (added > 0) this.logger.debug({ deliveries: added }, 'client condition alerts enqueued');
  }

  /** Starts a sending round, or asks the one running for another after it. */
  private kick(): void {
    if (this.stopped) return;
    if (this.sending) {
      this.again = true;
      return;
    }
    this.sending = (async () => {
      try {
        do {
          this.again = false;
          await this.sendDue();
        } while (this.again && !this.stopped);
      } catch (error) {
        this.logger.warn({ err: error }, 'alert sender failed; trying again');
      } finally {
        this.sending = undefined;
      }
    })();
  }

  /** Sends what is due, a claim at a time, until nothing is. */
  private async sendDue(): Promise<void> {
    if (Date.now() - this.lastSweep >= this.pollMs) {
      this.lastSweep = Date.now();
      await this.enqueueConditions();
    }
    if (Date.now() - this.lastPrune >= PRUNE_EVERY_MS) {
      this.lastPrune = Date.now();
      await this.pruneEndedDeliveries();
    }
    // The lease outlasts an attempt: nobody else takes a delivery while it is being sent.
    const leaseMs = this.timeoutMs * 2 + 10_000;
    for (;;) {
      if (this.stopped) return;
      const claimed = await this.alerts.claimDue(CLAIM_BATCH, leaseMs);
      if (claimed.length === 0) return;
      await mapConcurrently(claimed, SENDS_AT_ONCE, (delivery) => this.attempt(delivery));
      if (claimed.length < CLAIM_BATCH) return;
    }
  }

  /** Deletes the deliveries that ended before the retention, a batch at a time. */
  async pruneEndedDeliveries(): Promise<number> {
    const endedBefore = new Date(Date.now() - this.retentionMs);
    let deleted = 0;
    for (;;) {
      const batch = await this.alerts.deleteEnded(endedBefore, PRUNE_BATCH);
      deleted += batch;
      if (batch < PRUNE_BATCH || this.stopped) break;
    }
    if (deleted > 0) {
      this.logger.info({ deleted, endedBefore }, 'deleted alert deliveries past their retention');
    }
    return deleted;
  }

  private async attempt(delivery: ClaimedDelivery): Promise<void> {
    const result: AttemptResult = delivery.secret
      ? await postWebhook(delivery, this.timeoutMs)
      : { ok: false, error: 'subscription deleted' };
    const retryInMs =
      result.ok || !delivery.secret
        ? undefined
        : nextAttemptDelay(delivery.attempts, this.schedule);
    await this.alerts.recordAttempt(delivery.deliveryId, { ...result, retryInMs });
    const fields = {
      tenantId: delivery.tenantId,
      subscriptionId: delivery.subscriptionId,
      deliveryId: delivery.deliveryId,
      attempt: delivery.attempts,
      statusCode: result.statusCode,
    };
    if (result.ok) this.logger.info(fields, 'alert delivered');
    else if (retryInMs !== undefined) {
      this.logger.info(
        { ...fields, error: result.error, retryInMs },
        'alert delivery failed; retrying',
      );
    } else {
      this.logger.warn({ ...fields, error: result.error }, 'alert delivery failed for good');
    }
  }
}
