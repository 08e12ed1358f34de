import { randomUUID } from 'node:crypto';
import {
  clientCommandsFilter,
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
  /**
   * A device certificate for a broker that takes clients by certificate (Mosquitto's policy),
   * with the CA and, for a broker dialled by address, the name its certificate carries.
   */
  tls?: { ca: string | Buffer; cert: string | Buffer; key: string | Buffer; servername?: string };
  /** SIMULATED failure: an update to one of these versions fails its health check and rolls back. */
  failingVersions?: readonly string[];
  /** SIMULATED failure evidence sent with such a rollback (none unless given). */
  rollbackEvidence?: FailureEvidence;
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
  readonly reportsSent = new Map<string, number>();
  /** The last report of each job, sent again when its command comes again (as the agent does). */
  private readonly lastReports = new Map<string, string>();
  private client: mqtt.MqttClient | undefined;

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
    const client = await mqtt.connectAsync(this.options.url, {
      clientId: `sim-${address.tenantId}-${address.clientId}`,
      ...this.options.credentials,
      ...this.options.tls,
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
    client.on('message', (topic, payload) => this.onCommand(topic, payload));
    await client.subscribeAsync(clientCommandsFilter(address), { qos: 1 });
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
    if (seen === 0) {
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
      await this.client!.publishAsync(statusTopic(this.address), payload, { qos: 1 });
      this.reportsSent.set(command.jobId, seq);
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
    await this.client?.endAsync(true);
  }
}
