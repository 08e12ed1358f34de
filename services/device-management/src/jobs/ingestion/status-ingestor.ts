import {
  decodePresence,
  decodeStateSummary,
  decodeStatusReport,
  fleetFilters,
  parseTopic,
  type FieldError,
  type ParsedTopic,
  type Presence,
  type StateSummary,
  type StatusReport,
} from '@opcfleet/contracts';
import type { Logger } from 'pino';
import {
  RecordDeviceState,
  type RecordDeviceStateResult,
} from '../../clients/device-state/record-device-state.command';
import {
  RecordClientPresence,
  type RecordClientPresenceResult,
} from '../../clients/record-presence/record-presence.command';
import type { CommandSender } from '../../shared/command-sender';
import { IngestStatusReport, type IngestStatusReportResult } from './ingest-status-report.command';
import type { IncomingMessage, MessageBus } from '../../messaging/message-bus';
import type { MessagingMetrics } from '../../messaging/messaging.metrics';
import { clientKey, jobKey } from '../../shared/domain/stream-names';
import { retry, RetryStopped } from '../../shared/retry';
import { NO_TRACING, type Tracing } from '../../shared/tracing';
import type { Worker } from '../../shared/worker';
import type { IngestionBacklog } from '../timeouts/job-timeout-watcher';
import { KeyedWorkQueue } from './keyed-work-queue';
import { reportAckMessage } from './report-ack';

export interface StatusIngestorOptions {
  /** Messages handled at once; one job's reports stay in order. */
  concurrency: number;
  /**
   * Messages held (handled or waiting): each is acknowledged to the broker once held, so the
   * MQTT packet loop (and the PUBACKs of the service's own publishes) waits only when this
   * many are held. Sized for a burst of a whole fleet's reports.
   */
  buffer: number;
  /** MQTT 5 shared-subscription group, so that replicas split the reports. */
  shareGroup?: string;
  /** Attempts for a report the database could not take (outage), before it is dropped. */
  maxAttempts?: number;
  maxBackoffMs?: number;
  /** A consumer span per report, in the trace the report carries back from the device. */
  tracing?: Tracing;
}

type Channel = 'status' | 'presence' | 'state';

/** Field errors in a log line: enough to see what is wrong, never the whole hostile payload. */
const firstErrors = (errors: FieldError[]) => errors.slice(0, 5);

/**
 * MQTT -> event store. Subscribes to every client's status, presence and state topics, validates
 * each message with libs/contracts, checks that the body names the client of the topic, and
 * sends IngestStatusReport / RecordClientPresence. A message that is malformed, too large, of
 * the wrong schema or on a topic that is not a client's is dropped with one structured log
 * line; nothing a device sends can stop the ingestor. Each report once held (or refused for
 * good) is acked on the client's `acks` topic: a device keeps it until then.
 */
export class StatusIngestor implements Worker, IngestionBacklog {
  readonly name = 'status-ingest';
  private readonly queue: KeyedWorkQueue;
  /** Aborted by stop: reports the database did not take are no longer retried. */
  private stopping = new AbortController();
  private received = 0;
  /** Reports held and not written yet, per job. */
  private readonly heldPerJob = new Map<string, number>();

  constructor(
    private readonly bus: MessageBus,
    private readonly commands: CommandSender,
    private readonly metrics: MessagingMetrics,
    private readonly logger: Logger,
    private readonly options: StatusIngestorOptions,
  ) {
    this.queue = new KeyedWorkQueue({ running: options.concurrency, accepted: options.buffer });
  }

  /** Registers the subscriptions; the bus sends them on every (re)connect. */
  async start(): Promise<void> {
    this.stopping = new AbortController();
    const shareGroup = this.options.shareGroup;
    await this.bus.subscribe(fleetFilters.status, (m) => this.accept('status', m), { shareGroup });
    await this.bus.subscribe(fleetFilters.presence, (m) => this.accept('presence', m), {
      shareGroup,
    });
    await this.bus.subscribe(fleetFilters.state, (m) => this.accept('state', m), { shareGroup });
  }

  /** A report of this job is held and not written yet (IngestionBacklog). */
  holds(tenantId: string, jobId: string): boolean {
    return this.heldPerJob.has(jobKey(tenantId, jobId));
  }

  /** Half the buffer is held: the broker may be holding reports back (IngestionBacklog). */
  saturated(): boolean {
    return this.queue.size >= this.options.buffer / 2;
  }

  /** Resolves once the messages held now are written (or dropped). */
  caughtUp(): Promise<void> {
    return this.queue.drain();
  }

  /** Stops retrying and waits for the messages already accepted. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.queue.drain();
  }

  /** Resolves once the message is validated and queued: the bus acknowledges it then. */
  private async accept(channel: Channel, message: IncomingMessage): Promise<void> {
    const topic = parseTopic(message.topic);
    if (!topic || topic.channel !== channel) {
      return this.drop(channel, 'hostile_topic', message, {});
    }
    if (channel === 'status') {
      const decoded = decodeStatusReport(message.payload);
      if (!decoded.ok) {
        return this.drop(channel, 'malformed', message, { errors: firstErrors(decoded.errors) });
      }
      const report = decoded.value;
      if (report.tenantId !== topic.tenantId || report.clientId !== topic.clientId) {
        return this.drop(channel, 'topic_mismatch', message, {
          jobId: report.jobId,
          correlationId: report.correlationId,
          bodyTenantId: report.tenantId,
          bodyClientId: report.clientId,
        });
      }
      if (decoded.evidenceErrors) {
        // The device's evidence breaks its contract (over its bounds): the phase still counts.
        this.logger.warn(
          {
            channel,
            tenantId: topic.tenantId,
            clientId: topic.clientId,
            jobId: report.jobId,
            correlationId: report.correlationId,
            seq: report.seq,
            errors: firstErrors(decoded.evidenceErrors),
          },
          'failure evidence dropped: it breaks the contract; the report is kept',
        );
      }
      // Reports are not queued behind each other per job: the job batch writer keeps a job's
      // facts in order and out of concurrent batches, and lets them share one.
      const job = jobKey(topic.tenantId, report.jobId);
      this.heldPerJob.set(job, (this.heldPerJob.get(job) ?? 0) + 1);
      await this.queue.push(`report:${report.messageId}:${++this.received}`, async () => {
        try {
          await this.ingestReport(report, topic);
        } finally {
          const left = this.heldPerJob.get(job)! - 1;
          if (left === 0) this.heldPerJob.delete(job);
          else this.heldPerJob.set(job, left);
        }
      });
    } else if (channel === 'state') {
      const decoded = decodeStateSummary(message.payload);
      if (!decoded.ok) {
        return this.drop(channel, 'malformed', message, { errors: firstErrors(decoded.errors) });
      }
      const summary = decoded.value;
      if (summary.tenantId !== topic.tenantId || summary.clientId !== topic.clientId) {
        return this.drop(channel, 'topic_mismatch', message, {});
      }
      const receivedAt = new Date();
      await this.queue.push(`state:${clientKey(topic.tenantId, topic.clientId)}`, () =>
        this.recordState(summary, receivedAt),
      );
    } else {
      const decoded = decodePresence(message.payload);
      if (!decoded.ok) {
        return this.drop(channel, 'malformed', message, { errors: firstErrors(decoded.errors) });
      }
      const presence = decoded.value;
      if (presence.tenantId !== topic.tenantId || presence.clientId !== topic.clientId) {
        return this.drop(channel, 'topic_mismatch', message, {});
      }
      const receivedAt = new Date();
      await this.queue.push(clientKey(topic.tenantId, topic.clientId), () =>
        this.recordPresence(presence, message.retained, receivedAt),
      );
    }
  }

  private async ingestReport(report: StatusReport, topic: ParsedTopic): Promise<void> {
    const log = this.logger.child({
      correlationId: report.correlationId,
      tenantId: topic.tenantId,
      clientId: topic.clientId,
      jobId: report.jobId,
      jobKind: report.jobKind,
      seq: report.seq,
      phase: report.phase,
      messageId: report.messageId,
    });
    const tracing = this.options.tracing ?? NO_TRACING;
    const span = tracing.startSpan(`ingest ${report.jobKind} status ${report.phase}`, {
      parent: report.traceparent,
      kind: 'consumer',
      attributes: tracing.enabled
        ? {
            'messaging.system': 'mqtt',
            'messaging.operation.type': 'process',
            'messaging.message.id': report.messageId,
            'opcfleet.job.id': report.jobId,
            'opcfleet.client.id': topic.clientId,
            'opcfleet.report.seq': report.seq,
            'opcfleet.report.phase': report.phase,
          }
        : undefined,
    });
    const result = await this.withRetry('status', log, () =>
      this.commands.execute(
        new IngestStatusReport({
          report,
          topicTenantId: topic.tenantId,
          topicClientId: topic.clientId,
          ...(span.traceparent && { traceparent: span.traceparent }),
        }),
      ),
    );
    if (!result) {
      span.fail('not ingested');
      span.end();
      return;
    }
    const outcome = result as IngestStatusReportResult;
    span.setAttributes({ 'opcfleet.report.outcome': outcome.outcome });
    span.end();
    this.metrics.messagesIngested.inc({ channel: 'status', outcome: outcome.outcome });
    this.bus
      .publish(reportAckMessage(report, topic, outcome, new Date()))
      .catch((err) => log.debug({ err: (err as Error).message }, 'report ack not sent'));
    if (outcome.outcome === 'rejected') {
      log.warn({ outcome: outcome.outcome, reason: outcome.reason }, 'status report rejected');
    } else {
      log.info({ ...outcome }, 'status report ingested');
    }
  }

  private async recordState(summary: StateSummary, receivedAt: Date): Promise<void> {
    const { tenantId, clientId } = summary;
    const log = this.logger.child({ tenantId, clientId, channel: 'state' });
    const result = (await this.withRetry('state', log, () =>
      this.commands.execute(new RecordDeviceState(summary, receivedAt)),
    )) as RecordDeviceStateResult | undefined;
    if (!result) return;
    this.metrics.messagesIngested.inc({ channel: 'state', outcome: result.outcome });
    log.debug({ outcome: result.outcome, currentJob: summary.currentJob }, 'device state recorded');
  }

  private async recordPresence(
    presence: Presence,
    retained: boolean,
    receivedAt: Date,
  ): Promise<void> {
    const { tenantId, clientId, status } = presence;
    const log = this.logger.child({
      correlationId: `presence:${tenantId}/${clientId}/${presence.at}`,
      tenantId,
      clientId,
      presence: status,
    });
    const result = (await this.withRetry('presence', log, () =>
      this.commands.execute(
        new RecordClientPresence({
          tenantId,
          clientId,
          status,
          at: new Date(presence.at),
          receivedAt,
          ...(presence.agentVersion && { agentVersion: presence.agentVersion }),
          // A retained presence is old news: replayed on every subscribe, it says nothing new.
          ...(!retained &&
            presence.sessionResumed !== undefined && { sessionResumed: presence.sessionResumed }),
        }),
      ),
    )) as RecordClientPresenceResult | undefined;
    if (!result) return;
    this.metrics.messagesIngested.inc({ channel: 'presence', outcome: result.outcome });
    log.info({ outcome: result.outcome, retained }, 'presence recorded');
  }

  /**
   * The commands never throw for a bad message, so a throw is the database or the broker
   * being away: retried with back-off (holding the slot pushes back on the broker), and
   * dropped with an error line only after `maxAttempts`.
   */
  private async withRetry<T>(
    channel: Channel,
    log: Logger,
    work: () => Promise<T>,
  ): Promise<T | undefined> {
    const maxAttempts = this.options.maxAttempts ?? 8;
    let attempts = 0;
    try {
      return await retry(
        () => {
          attempts++;
          return work();
        },
        {
          classify: () => 'outage',
          maxOutageRetries: maxAttempts - 1,
          maxBackoffMs: this.options.maxBackoffMs ?? 10_000,
          signal: this.stopping.signal,
          onRetry: ({ error, delayMs }) =>
            log.warn(
              { err: (error as Error).message, attempt: attempts, retryInMs: delayMs },
              'ingest failed, retrying',
            ),
        },
      );
    } catch (error) {
      log.error(
        { err: error instanceof RetryStopped ? error.lastError : error, attempt: attempts },
        'message could not be ingested, dropped',
      );
      this.metrics.messagesDropped.inc({ channel, reason: 'ingest_failed' });
      return undefined;
    }
  }

  private drop(
    channel: Channel,
    reason: 'hostile_topic' | 'malformed' | 'topic_mismatch',
    message: IncomingMessage,
    details: Record<string, unknown>,
  ): void {
    this.metrics.messagesDropped.inc({ channel, reason });
    this.logger.warn(
      {
        // The topic is the sender's own text: cap it so a hostile one cannot flood the log.
        topic: message.topic.slice(0, 300),
        bytes: message.payload.byteLength,
        reason,
        correlationId: message.correlationId,
        ...details,
      },
      `${channel} message dropped`,
    );
  }
}
