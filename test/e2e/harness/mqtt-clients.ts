import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import mqtt from 'mqtt';
import type { BrokerUnderTest } from './brokers';
import type { TlsFiles } from './pki';

/** A raw MQTT connection holding a real certificate: the test plays a device or the service. */
export function connectWithCertificate(
  broker: BrokerUnderTest,
  tls: TlsFiles,
  label: string,
): Promise<mqtt.MqttClient> {
  return mqtt.connectAsync(broker.url, {
    clientId: `e2e-${label}-${randomBytes(4).toString('hex')}`,
    protocolVersion: broker.protocolVersion,
    ca: readFileSync(tls.caFile),
    cert: readFileSync(tls.certFile),
    key: readFileSync(tls.keyFile),
    rejectUnauthorized: true,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
  });
}

/** Collects what arrives on `filter`; `stop` unsubscribes and ends the connection. */
export async function recordMessages(client: mqtt.MqttClient, filter: string) {
  const messages: Array<{ topic: string; payload: Buffer }> = [];
  client.on('message', (topic, payload) => messages.push({ topic, payload }));
  let granted: number[];
  try {
    granted = (await client.subscribeAsync(filter, { qos: 1 })).map((g) => g.qos);
  } catch (error) {
    // mqtt.js rejects a SUBACK that refuses the filter; the packet says how.
    const suback = (error as { packet?: { granted?: Array<number | { qos: number }> } }).packet;
    if (!suback?.granted) throw error;
    granted = suback.granted.map((g) => (typeof g === 'number' ? g : g.qos));
  }
  return {
    messages,
    /** QoS granted per filter: 128 (0x80) means the broker refused the subscription. */
    granted,
  };
}
