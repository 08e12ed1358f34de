import mqtt from 'mqtt';
import { BrokerUnavailableError, type IncomingMessage } from '../../src/messaging/message-bus';
import { MqttMessageBus } from '../../src/messaging/mqtt-message-bus';
import { startTestAedes, TEST_BROKERS, uniqueTestId, type TestBroker } from '../support/brokers';
import { eventually, memoryLogger } from '../support/memory-logger';

/** A bus of the service on `url`, as each of these stories starts one. */
const busOn = (url: string, logger = memoryLogger().logger) =>
  new MqttMessageBus(
    {
      url,
      protocol: 'auto',
      clientId: uniqueTestId('svc'),
      rejectUnauthorized: true,
      pubackTimeoutMs: 2000,
      sessionExpirySeconds: 60,
    },
    logger,
  );

describe.each(TEST_BROKERS)('MqttMessageBus on %s', (brokerName, startBroker) => {
  let broker: TestBroker;
  let bus: MqttMessageBus;
  let device: mqtt.MqttClient;
  let root: string;

  beforeEach(async () => {
    broker = await startBroker();
    root = `tenants/${uniqueTestId('bus')}/clients/c1`;
    bus = busOn(broker.url, memoryLogger().logger);
    device = await mqtt.connectAsync(broker.url, {
      protocolVersion: brokerName === 'mosquitto' ? 5 : 4,
      clientId: uniqueTestId('dev'),
      reconnectPeriod: 0,
    });
  });

  afterEach(async () => {
    await device.endAsync(true);
    await bus.stop();
    await broker.close();
  });

  it('speaks the protocol of the broker', async () => {
    await bus.start();
    expect(bus.status()).toMatchObject({
      connected: true,
      protocol: brokerName === 'mosquitto' ? 'mqtt-5' : 'mqtt-3.1.1',
    });
  });

  it('publishes with QoS 1 and, on MQTT 5, expiry and correlation data', async () => {
    await bus.start();
    const received: mqtt.IPublishPacket[] = [];
    await device.subscribeAsync(`${root}/commands/#`, { qos: 1 });
    device.on('message', (_topic, _payload, packet) => received.push(packet));
    await bus.publish({
      topic: `${root}/commands/update`,
      payload: '{"hello":1}',
      expiresAt: new Date(Date.now() + 60_000),
      correlationId: 'corr-1',
      userProperties: { jobId: 'j1' },
    });
    const [packet] = await eventually(() => received.length > 0 && received);
    expect(packet.qos).toBe(1);
    expect(packet.payload.toString()).toBe('{"hello":1}');
    if (brokerName === 'mosquitto') {
      expect(packet.properties?.correlationData?.toString()).toBe('corr-1');
      expect(packet.properties?.messageExpiryInterval).toBeGreaterThan(50);
      expect(packet.properties?.contentType).toBe('application/json');
      expect(packet.properties?.userProperties).toEqual({ jobId: 'j1' });
    } else {
      expect(packet.properties).toBeUndefined();
    }
  });

  it('routes messages to the handler whose filter matched, and survives a failing handler', async () => {
    const statuses: IncomingMessage[] = [];
    await bus.subscribe('tenants/+/clients/+/status', async (message) => {
      if (message.payload.toString() === 'boom') throw new Error('handler failed');
      statuses.push(message);
    });
    await bus.start();
    await eventually(() => bus.status().connected);
    // Subscriptions are sent on connect; give the SUBACK a moment.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await device.publishAsync(`${root}/status`, 'boom', { qos: 1 });
    await device.publishAsync(`${root}/presence`, 'not subscribed', { qos: 1 });
    await device.publishAsync(`${root}/status`, 'ok', { qos: 1 });
    await eventually(() => statuses.length === 1);
    expect(statuses[0]).toMatchObject({ topic: `${root}/status`, retained: false });
    expect(statuses[0].payload.toString()).toBe('ok');
  });

  it('refuses to publish while the broker is down, then reconnects and resubscribes', async () => {
    const statuses: string[] = [];
    await bus.subscribe('tenants/+/clients/+/status', async (message) => {
      statuses.push(message.payload.toString());
    });
    await bus.start();
    await broker.cut();
    await eventually(() => !bus.status().connected);
    await expect(bus.publish({ topic: `${root}/commands/update`, payload: 'x' })).rejects.toThrow(
      BrokerUnavailableError,
    );
    await broker.restore();
    await eventually(() => bus.status().connected, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const again = await mqtt.connectAsync(broker.url, {
      clientId: uniqueTestId('dev'),
      reconnectPeriod: 0,
    });
    await again.publishAsync(`${root}/status`, 'after outage', { qos: 1 });
    await eventually(() => statuses.includes('after outage'), 10_000);
    await again.endAsync();
  }, 20_000);
});

describe('MqttMessageBus shared subscriptions on mosquitto', () => {
  it('splits the messages of a shared filter between replicas, each delivered once', async () => {
    const { startTestMosquitto } = await import('../support/brokers');
    const broker = await startTestMosquitto();
    const group = uniqueTestId('grp');
    const tenant = uniqueTestId('share');
    const replicas = [0, 1].map(() => busOn(broker.url, memoryLogger().logger));
    const seen: string[][] = [[], []];
    const device = await mqtt.connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0 });
    try {
      for (const [i, replica] of replicas.entries()) {
        await replica.subscribe(
          `tenants/${tenant}/clients/+/status`,
          async (message) => {
            seen[i].push(message.payload.toString());
          },
          { shareGroup: group },
        );
        await replica.start();
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
      const sent = Array.from({ length: 40 }, (_, n) => `m${n}`);
      for (const payload of sent) {
        await device.publishAsync(`tenants/${tenant}/clients/c${payload}/status`, payload, {
          qos: 1,
        });
      }
      await eventually(() => seen[0].length + seen[1].length === sent.length);
      expect([...seen[0], ...seen[1]].sort()).toEqual([...sent].sort());
      expect(seen[0].length).toBeGreaterThan(0);
      expect(seen[1].length).toBeGreaterThan(0);
    } finally {
      await device.endAsync();
      for (const replica of replicas) await replica.stop();
      await broker.close();
    }
  });
});

describe('MqttMessageBus with a shared-subscription group on an MQTT 3.1.1 broker (aedes)', () => {
  it('subscribes without the group and says so, rather than losing every message', async () => {
    const broker = await startTestAedes();
    const { logger, lines } = memoryLogger();
    const bus = busOn(broker.url, logger);
    const tenant = uniqueTestId('noshare');
    const seen: string[] = [];
    const device = await mqtt.connectAsync(broker.url, { protocolVersion: 4, reconnectPeriod: 0 });
    try {
      await bus.subscribe(
        `tenants/${tenant}/clients/+/status`,
        async (message) => {
          seen.push(message.payload.toString());
        },
        { shareGroup: 'replicas' },
      );
      await bus.start();
      await eventually(() =>
        lines.some((line) => String(line.msg).startsWith('shared subscriptions need MQTT 5')),
      );
      await device.publishAsync(`tenants/${tenant}/clients/c1/status`, 'r1', { qos: 1 });

      await eventually(() => seen.length === 1);
      expect(seen).toEqual(['r1']);
    } finally {
      await device.endAsync();
      await bus.stop();
      await broker.close();
    }
  });
});

describe('MqttMessageBus over TLS with a client certificate (secure Mosquitto of test-env)', () => {
  it('connects with the CA, certificate and key files and publishes', async () => {
    const pki = `${__dirname}/../../../../infra/pki/out`;
    const bus = new MqttMessageBus(
      {
        url: process.env.TEST_MOSQUITTO_TLS_URL ?? 'mqtts://127.0.0.1:8883',
        protocol: 'auto',
        clientId: uniqueTestId('svc'),
        caFile: `${pki}/ca.crt`,
        certFile: `${pki}/service.crt`,
        keyFile: `${pki}/service.key`,
        rejectUnauthorized: true,
        pubackTimeoutMs: 2000,
        sessionExpirySeconds: 60,
      },
      memoryLogger().logger,
    );
    try {
      await bus.start();
      expect(bus.status()).toMatchObject({ connected: true, protocol: 'mqtt-5' });
      await bus.publish({
        topic: `tenants/${uniqueTestId('tls')}/clients/c1/commands/update`,
        payload: '{}',
      });
    } finally {
      await bus.stop();
    }
  });
});
