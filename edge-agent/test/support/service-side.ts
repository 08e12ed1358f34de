import {
  commandTopic,
  decodePresence,
  decodeStateSummary,
  decodeStatusReport,
  presenceTopic,
  stateTopic,
  statusTopic,
  type ClientAddress,
  type Presence,
  type StateSummary,
  type StatusReport,
} from '@opcfleet/contracts';
import { randomUUID } from 'node:crypto';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

/**
 * Plays the service in integration tests: sends commands to one device and collects what it
 * reports (status, retained state and presence), decoded with the contracts.
 */
export class ServiceSide {
  readonly reports: StatusReport[] = [];
  readonly presence: Presence[] = [];
  readonly states: StateSummary[] = [];
  /** Status messages that failed the contract: a test expects none. */
  readonly invalid: unknown[] = [];
  private readonly waiters = new Set<() => void>();

  private constructor(
    readonly client: MqttClient,
    private readonly device: ClientAddress,
  ) {}

  static async connect(
    url: string,
    device: ClientAddress,
    protocolVersion: 4 | 5 = 4,
    tls: Pick<IClientOptions, 'ca' | 'cert' | 'key'> = {},
  ): Promise<ServiceSide> {
    const client = await mqtt.connectAsync(url, {
      ...tls,
      clientId: `service-${randomUUID().slice(0, 8)}`,
      clean: false,
      protocolVersion,
      reconnectPeriod: 100,
      properties: protocolVersion === 5 ? { sessionExpiryInterval: 300 } : undefined,
    });
    const side = new ServiceSide(client, device);
    client.on('message', (topic, payload) => side.collect(topic, payload));
    await client.subscribeAsync(
      [statusTopic(device), stateTopic(device), presenceTopic(device)].map((t) => t),
      { qos: 1 },
    );
    return side;
  }

  /** `messageExpiryInterval` (MQTT 5 connections only): seconds the broker keeps the command. */
  async send(
    kind: 'update' | 'config',
    body: unknown,
    options: { messageExpiryInterval?: number } = {},
  ): Promise<void> {
    const payload = typeof body === 'string' ? body : JSON.stringify(body);
    await this.client.publishAsync(commandTopic(this.device, kind), payload, {
      qos: 1,
      ...(options.messageExpiryInterval !== undefined && {
        properties: { messageExpiryInterval: options.messageExpiryInterval },
      }),
    });
  }

  reportsOf(jobId: string): StatusReport[] {
    return this.reports.filter((r) => r.jobId === jobId);
  }

  /** Waits until `check` holds, re-checked on every message; fails with `what` after the timeout. */
  async until(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
    if (check()) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(
          new Error(
            `timed out waiting for ${what}; reports: ${JSON.stringify(this.reports.map((r) => [r.jobId.slice(0, 8), r.seq, r.phase]))}`,
          ),
        );
      }, timeoutMs);
      const waiter = () => {
        if (!check()) return;
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve();
      };
      this.waiters.add(waiter);
    });
  }

  /** Removes what the device left retained, so the broker keeps nothing of a test. */
  async clearRetained(): Promise<void> {
    for (const topic of [stateTopic(this.device), presenceTopic(this.device)]) {
      await this.client.publishAsync(topic, '', { qos: 1, retain: true });
    }
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }

  private collect(topic: string, payload: Buffer): void {
    if (topic === statusTopic(this.device)) {
      const decoded = decodeStatusReport(payload);
      if (decoded.ok) this.reports.push(decoded.value);
      else this.invalid.push(decoded.errors);
    } else if (topic === presenceTopic(this.device) && payload.length > 0) {
      const decoded = decodePresence(payload);
      if (decoded.ok) this.presence.push(decoded.value);
    } else if (topic === stateTopic(this.device) && payload.length > 0) {
      const decoded = decodeStateSummary(payload);
      if (decoded.ok) this.states.push(decoded.value);
    }
    for (const waiter of [...this.waiters]) waiter();
  }
}
