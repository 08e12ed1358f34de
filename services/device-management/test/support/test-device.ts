import { randomUUID } from 'node:crypto';
import {
  acksTopic,
  clientCommandsFilter,
  decodeCancelCommand,
  decodeConfigCommand,
  decodeUpdateCommand,
  PRESENCE_SCHEMA,
  presenceTopic,
  STATUS_REPORT_SCHEMA,
  statusTopic,
  decodeReportAck,
  type CancelCommand,
  type ReportAck,
  type ConfigCommand,
  type UpdateCommand,
  type Validated,
} from '@opcfleet/contracts';
import mqtt from 'mqtt';

export interface ReceivedCommand {
  topic: string;
  command: UpdateCommand | ConfigCommand | CancelCommand;
  /** MQTT 5 properties as the device saw them (undefined over 3.1.1). */
  properties?: mqtt.IPublishPacket['properties'];
}

/**
 * A real mqtt.js client playing an edge device: it subscribes to its command topics with a
 * persistent session (commands sent while it is away wait in the broker), decodes commands
 * with libs/contracts, and publishes status reports and presence like the agent does.
 */
export class TestDevice {
  readonly commands: ReceivedCommand[] = [];
  /** The service's acks of this device's reports, in arrival order. */
  readonly acks: ReportAck[] = [];
  private client: mqtt.MqttClient | undefined;
  private readonly mqttClientId = `dev-${randomUUID().slice(0, 12)}`;

  constructor(
    private readonly url: string,
    readonly tenantId: string,
    readonly clientId: string,
    private readonly protocolVersion: 4 | 5,
  ) {}

  async connect(): Promise<void> {
    const client = await mqtt.connectAsync(this.url, {
      clientId: this.mqttClientId,
      protocolVersion: this.protocolVersion,
      clean: false,
      ...(this.protocolVersion === 5 && { properties: { sessionExpiryInterval: 300 } }),
      reconnectPeriod: 200,
    });
    client.on('message', (topic, payload, packet) => {
      if (topic === acksTopic(this)) {
        const ack = decodeReportAck(payload);
        if (!ack.ok) throw new Error(`device got an invalid ack: ${JSON.stringify(ack.errors)}`);
        this.acks.push(ack.value);
        return;
      }
      const decoded: Validated<ReceivedCommand['command']> = topic.endsWith('/commands/update')
        ? decodeUpdateCommand(payload)
        : topic.endsWith('/commands/cancel')
          ? decodeCancelCommand(payload)
          : decodeConfigCommand(payload);
      if (!decoded.ok)
        throw new Error(`device got an invalid command: ${JSON.stringify(decoded.errors)}`);
      this.commands.push({ topic, command: decoded.value, properties: packet.properties });
    });
    await client.subscribeAsync(clientCommandsFilter(this), { qos: 1 });
    await client.subscribeAsync(acksTopic(this), { qos: 0 });
    this.client = client;
  }

  async disconnect(): Promise<void> {
    await this.client?.endAsync();
    this.client = undefined;
  }

  /** Publishes a status report for `job` on this device's own status topic (or `topic`). */
  async report(
    job: { jobId: string; kind: 'update' | 'config'; correlationId?: string },
    seq: number,
    phase: string,
    extra: Record<string, unknown> = {},
    topic = statusTopic(this),
  ): Promise<void> {
    const report = {
      schema: STATUS_REPORT_SCHEMA,
      messageId: randomUUID(),
      tenantId: this.tenantId,
      clientId: this.clientId,
      correlationId: job.correlationId ?? `device-${this.clientId}`,
      jobId: job.jobId,
      jobKind: job.kind,
      seq,
      phase,
      at: new Date().toISOString(),
      ...extra,
    };
    await this.publishRaw(topic, JSON.stringify(report));
  }

  async presence(
    status: 'online' | 'offline',
    retain = false,
    extra: { sessionResumed?: boolean } = {},
  ): Promise<void> {
    const message = {
      schema: PRESENCE_SCHEMA,
      tenantId: this.tenantId,
      clientId: this.clientId,
      status,
      at: new Date().toISOString(),
      ...extra,
    };
    await this.publishRaw(presenceTopic(this), JSON.stringify(message), retain);
  }

  async publishRaw(topic: string, payload: string | Buffer, retain = false): Promise<void> {
    if (!this.client) throw new Error('device not connected');
    await this.client.publishAsync(topic, payload, { qos: 1, retain });
  }

  commandsFor(jobId: string): ReceivedCommand[] {
    return this.commands.filter((received) => received.command.jobId === jobId);
  }
}
