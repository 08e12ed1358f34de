import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { ConnectionOptions } from 'node:tls';

/** mqtt.js hands TLS options through to tls.connect, including the protocol versions. */
export type ProbeOptions = IClientOptions & Pick<ConnectionOptions, 'minVersion' | 'maxVersion'>;

/** A real mqtt.js client that records what it receives, for assertions. */
export class MqttProbe {
  readonly received: { topic: string; payload: string; retain: boolean }[] = [];
  private waiters: (() => void)[] = [];

  private constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      this.received.push({ topic, payload: payload.toString(), retain: packet.retain });
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  static async connect(url: string, options: IClientOptions): Promise<MqttProbe> {
    const client = await mqtt.connectAsync(url, {
      reconnectPeriod: 0,
      connectTimeout: 5000,
      ...options,
    });
    return new MqttProbe(client);
  }

  /** The granted QoS (or reason code) of one filter; >= 0x80 means refused. */
  async subscribe(filter: string, qos: 0 | 1 = 1): Promise<number> {
    try {
      const granted = await this.client.subscribeAsync(filter, { qos });
      return granted[0].qos;
    } catch (error) {
      // mqtt.js turns a failure code in the SUBACK into an error that carries the packet.
      const suback = (error as { packet?: { granted?: (number | { qos: number })[] } }).packet;
      const code = suback?.granted?.[0];
      if (code === undefined) throw error;
      return typeof code === 'number' ? code : code.qos;
    }
  }

  async publish(topic: string, payload: string, options: { retain?: boolean } = {}) {
    await this.client.publishAsync(topic, payload, { qos: 1, retain: options.retain ?? false });
  }

  /** Waits until a message on `topic` has arrived; fails after `ms`. */
  async waitFor(
    topic: string,
    ms = 5000,
  ): Promise<{ topic: string; payload: string; retain: boolean }> {
    const deadline = Date.now() + ms;
    for (;;) {
      const hit = this.received.find((message) => message.topic === topic);
      if (hit) return hit;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `no message on ${topic} within ${ms} ms; got ${JSON.stringify(this.received)}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async end(): Promise<void> {
    await this.client.endAsync(true);
  }
}

/**
 * Connects and reports how it ended: a CONNACK, or the error/close that came instead. A refused
 * TLS handshake surfaces as an error or a close before any CONNACK, depending on timing.
 */
export async function connectOutcome(
  url: string,
  options: ProbeOptions,
): Promise<{ connected: boolean; error?: string }> {
  const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
  const outcome = await new Promise<{ connected: boolean; error?: string }>((resolve) => {
    client.once('connect', () => resolve({ connected: true }));
    client.once('error', (error) => resolve({ connected: false, error: error.message }));
    client.once('close', () => resolve({ connected: false, error: 'connection closed' }));
  });
  await client.endAsync(true);
  return outcome;
}
