import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  acksTopic,
  clientCommandsFilter,
  decodeReportAck,
  decodeConfigCommand,
  decodeUpdateCommand,
  PRESENCE_SCHEMA,
  presenceTopic,
  STATUS_REPORT_SCHEMA,
  statusTopic,
  SUCCESSFUL_UPDATE_PHASES,
  type ClientAddress,
  type ConfigCommand,
  type FailureEvidence,
  type UpdateCommand,
  type UpdatePhase,
} from '@opcfleet/contracts';
import mqtt from 'mqtt';
import type { TlsFiles } from './pki';

/** The phases a successful update reports, in order (edge-agent's update machine). */
const SUCCESS_PHASES: readonly UpdatePhase[] = SUCCESSFUL_UPDATE_PHASES;

export interface SimulatedDeviceOptions {
  url: string;
  protocolVersion: 4 | 5;
  address: ClientAddress;
  /** Simulated time each phase takes, so reports of many devices interleave as in a fleet. */
  phaseDelayMs: number;
  /** MQTT username and password (the embedded broker's device credentials). */
  credentials?: { username: string; password: string };
  /** SIMULATED failure: an update to one of these versions fails its health check and rolls back. */
  failingVersions?: readonly string[];
  /** SIMULATED failure evidence sent with such a rollback (none unless given). */
  rollbackEvidence?: FailureEvidence;
  /**
   * A device certificate for a broker that takes clients by certificate (Mosquitto's policy),
   * with the CA and, for a broker dialled by address, the name its certificate carries.
   */
  tls?: TlsFiles & { servername?: string };
  /**
   * Keep each report of a job whose command asks for acks (`reportAcks: 'v1'`) until the
   * service acks it, sending it again after this many ms, as the agent's outbox does. Without
   * it, reports are fire-and-forget (QoS 1 to the broker only).
   */
  reportAckTimeoutMs?: number;
}

/** What a simulated update to a failing version reports after the swap: a failed check, rollback. */
const ROLLBACK_PHASES: readonly UpdatePhase[] = [
  'received',
  'pulling',
  'pulled',
  'stopping_old',
  'starting_new',
  'verifying',
  'rolling_back',
  'rolled_back',
];

/** SIMULATED health check failure of a rolled back update. */
export const SIMULATED_HEALTH_FAILURE = {
  code: 'health_check_failed',
  message: 'the new container exited during verification (simulated)',
};

/**
 * SIMULATED device for load tests: a real mqtt.js client speaking the real protocol (the
 * libs/contracts envelopes, QoS 1, persistent session, retained presence with a last will),
 * whose container engine is simulated in memory: an update only swaps the running version.
 * It deduplicates commands by job id as the agent does and counts what it received.
 */
export class SimulatedDevice {
  /** SIMULATED engine state: the version "running". */
  runningVersion = '1.0.0';
  readonly commandsReceived = new Map<string, number>();
  /** The distinct message ids of each job's commands (redeliveries repeat one id). */
  readonly commandIds = new Map<string, Set<string>>();
  /** How many times each job was run on the SIMULATED engine (the device dedupes by job id). */
  readonly runs = new Map<string, number>();
  readonly reportsSent = new Map<string, number>();
  /** Jobs whose final report went out (and was acked, with reportAckTimeoutMs), in order. */
  readonly finishedJobs: string[] = [];
  private readonly finishWaiters: Array<{ count: number; resolve: () => void }> = [];
  /** The report waiting for the service's ack. */
  private awaitedAck: { jobId: string; seq: number; acked: () => void } | undefined;
  /** The last report of each job, sent again when its command comes again (as the agent does). */
  private readonly lastReports = new Map<string, string>();
  private client: mqtt.MqttClient | undefined;
  private closed = false;

  constructor(private readonly options: SimulatedDeviceOptions) {}

  get address(): ClientAddress {
    return this.options.address;
  }

  async connect(): Promise<void> {
    const { address, protocolVersion } = this.options;
    const presence = (status: 'online' | 'offline') =>
      JSON.stringify({
        schema: PRESENCE_SCHEMA,
        ...address,
        status,
        at: new Date().toISOString(),
        agentVersion: 'simulated',
      });
    const { tls } = this.options;
    const client = await mqtt.connectAsync(this.options.url, {
      clientId: `sim-${address.tenantId}-${address.clientId}`,
      ...(tls && {
        ca: readFileSync(tls.caFile),
        cert: readFileSync(tls.certFile),
        key: readFileSync(tls.keyFile),
        rejectUnauthorized: true,
        ...(tls.servername !== undefined && { servername: tls.servername }),
      }),
      ...this.options.credentials,
      protocolVersion,
      clean: false,
      ...(protocolVersion === 5 && { properties: { sessionExpiryInterval: 600 } }),
      keepalive: 120,
      reconnectPeriod: 1000,
      connectTimeout: 60_000,
      will: {
        topic: presenceTopic(address),
        payload: Buffer.from(presence('offline')),
        qos: 1,
        retain: true,
      },
    });
    client.on('message', (topic, payload) => {
      if (topic === acksTopic(address)) this.onAck(payload);
      else this.onCommand(topic, payload);
    });
    await client.subscribeAsync(clientCommandsFilter(address), { qos: 1 });
    if (this.options.reportAckTimeoutMs !== undefined) {
      await client.subscribeAsync(acksTopic(address), { qos: 0 });
    }
    await client.publishAsync(presenceTopic(address), presence('online'), { qos: 1, retain: true });
    this.client = client;
  }

  private onCommand(topic: string, payload: Buffer): void {
    if (topic.endsWith('/commands/config')) {
      const config = decodeConfigCommand(payload);
      if (config.ok && !this.commandsReceived.has(config.value.jobId)) {
        this.commandsReceived.set(config.value.jobId, 1);
        void this.applyConfig(config.value);
      }
      return;
    }
    if (!topic.endsWith('/commands/update')) return;
    const decoded = decodeUpdateCommand(payload);
    if (!decoded.ok) return;
    const command = decoded.value;
    const seen = this.commandsReceived.get(command.jobId) ?? 0;
    this.commandsReceived.set(command.jobId, seen + 1);
    const ids = this.commandIds.get(command.jobId) ?? new Set<string>();
    this.commandIds.set(command.jobId, ids.add(command.messageId));
    if (seen === 0) {
      this.runs.set(command.jobId, (this.runs.get(command.jobId) ?? 0) + 1);
      void this.runUpdate(command);
      return;
    }
    // A job runs once; the service sent it again because the job went quiet: its last report
    // (perhaps dropped on its way) goes out again, unchanged.
    const last = this.lastReports.get(command.jobId);
    if (last) void this.client?.publishAsync(statusTopic(this.address), last, { qos: 1 });
  }

  private async runUpdate(command: UpdateCommand): Promise<void> {
    const fromVersion = this.runningVersion;
    const fails = this.options.failingVersions?.includes(command.payload.targetVersion) ?? false;
    const phases = fails ? ROLLBACK_PHASES : SUCCESS_PHASES;
    for (const [index, phase] of phases.entries()) {
      if (index > 0) await new Promise((resolve) => setTimeout(resolve, this.options.phaseDelayMs));
      if (phase === 'starting_new') this.runningVersion = command.payload.targetVersion; // SIMULATED swap
      if (phase === 'rolled_back') this.runningVersion = fromVersion; // SIMULATED swap back
      const seq = index + 1;
      const report = {
        schema: STATUS_REPORT_SCHEMA,
        messageId: randomUUID(),
        ...this.address,
        correlationId: command.correlationId,
        jobId: command.jobId,
        seq,
        at: new Date().toISOString(),
        version: phase === 'committed' ? this.runningVersion : fromVersion,
        jobKind: 'update' as const,
        phase,
        ...(phase === 'rolled_back' && { error: SIMULATED_HEALTH_FAILURE }),
        ...(phase === 'rolled_back' &&
          this.options.rollbackEvidence && { evidence: this.options.rollbackEvidence }),
      };
      const payload = JSON.stringify(report);
      this.lastReports.set(command.jobId, payload);
      await this.send(command.reportAcks === 'v1', command.jobId, seq, payload);
      this.reportsSent.set(command.jobId, seq);
    }
    this.finished(command.jobId);
  }

  /** Resolves once `count` jobs have ended on this device (their final report sent). */
  jobsFinished(count: number): Promise<void> {
    if (this.finishedJobs.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.finishWaiters.push({ count, resolve }));
  }

  private finished(jobId: string): void {
    this.finishedJobs.push(jobId);
    for (const waiter of [...this.finishWaiters]) {
      if (this.finishedJobs.length < waiter.count) continue;
      this.finishWaiters.splice(this.finishWaiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  }

  /**
   * Publishes one report with QoS 1; with acks, sends it again until the service acks it
   * (one report in flight, as the agent's outbox).
   */
  private async send(acks: boolean, jobId: string, seq: number, payload: string): Promise<void> {
    const timeoutMs = this.options.reportAckTimeoutMs;
    if (!acks || timeoutMs === undefined) {
      await this.client!.publishAsync(statusTopic(this.address), payload, { qos: 1 });
      return;
    }
    while (!this.closed) {
      let timer: NodeJS.Timeout | undefined;
      const acked = new Promise<boolean>((resolve) => {
        this.awaitedAck = { jobId, seq, acked: () => resolve(true) };
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
      try {
        await this.client!.publishAsync(statusTopic(this.address), payload, { qos: 1 });
        if (await acked) return;
      } catch {
        // Disconnected: mqtt.js reconnects; the report goes again after the wait.
        await acked;
      } finally {
        clearTimeout(timer);
        this.awaitedAck = undefined;
      }
    }
  }

  private onAck(payload: Buffer): void {
    const decoded = decodeReportAck(payload);
    const awaited = this.awaitedAck;
    if (!decoded.ok || !awaited) return;
    if (decoded.value.jobId === awaited.jobId && decoded.value.seq === awaited.seq) {
      awaited.acked();
    }
  }

  /** SIMULATED config apply: received, then applied (the schema was checked by the service). */
  private async applyConfig(command: ConfigCommand): Promise<void> {
    for (const [index, phase] of (['received', 'applied'] as const).entries()) {
      if (index > 0) await new Promise((resolve) => setTimeout(resolve, this.options.phaseDelayMs));
      const report = {
        schema: STATUS_REPORT_SCHEMA,
        messageId: randomUUID(),
        ...this.address,
        correlationId: command.correlationId,
        jobId: command.jobId,
        seq: index + 1,
        at: new Date().toISOString(),
        version: this.runningVersion,
        jobKind: 'config' as const,
        phase,
        configVersion: command.payload.version,
      };
      await this.client!.publishAsync(statusTopic(this.address), JSON.stringify(report), {
        qos: 1,
      });
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.awaitedAck?.acked();
    await this.client?.endAsync(true);
  }
}
