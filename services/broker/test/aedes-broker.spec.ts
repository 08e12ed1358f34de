import { randomUUID } from 'node:crypto';
import { connect as connectTcp, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { connect as connectTls } from 'node:tls';
import pino from 'pino';
import { clientCommandsFilter, commandTopic, statusTopic } from '@opcfleet/contracts';
import { PasswordUsers, startBroker, type PasswordAuthenticator, type RunningBroker } from '../src';
import { devPki, type DevPki } from './support/dev-pki';
import { connectOutcome, MqttProbe } from './support/mqtt-probe';
import {
  awaitConnack,
  connectPacket,
  publishHead,
  publishPacketBytes,
  streamPayload,
} from './support/raw-mqtt';

/** Collects the broker's JSON log lines. */
function logCapture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, logger: pino({ level: 'info' }, stream) };
}

const refusals = (lines: Record<string, unknown>[]) =>
  lines.filter((line) => line.event === 'mqtt.refused');

async function eventually(check: () => void, ms = 3000) {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

describe('aedes broker: authentication and refusal log', () => {
  jest.setTimeout(20_000);
  const tenant = `t-${randomUUID().slice(0, 8)}`;
  const deviceUser = `tenants/${tenant}/clients/pw-device`;
  let pki: DevPki;
  let broker: RunningBroker;
  let log: ReturnType<typeof logCapture>;
  const open: MqttProbe[] = [];

  beforeAll(async () => {
    pki = devPki();
    const users = await (
      await new PasswordUsers(new Map()).withPlainPassword('opcfleet-service', 'service-pw')
    ).withPlainPassword(deviceUser, 'device-pw');
    const withBob = await users.withPlainPassword('bob', 'bob-pw');
    log = logCapture();
    broker = await startBroker({
      port: 0,
      tlsPort: 0,
      tls: { key: pki.broker.key, cert: pki.broker.cert, ca: pki.ca },
      users: withBob,
      logger: log.logger,
    });
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((probe) => probe.end()));
  });
  afterAll(async () => {
    await broker?.close();
    pki?.forgetTenant(tenant);
  });

  const tcp = async (username: string, password: string) => {
    const probe = await MqttProbe.connect(broker.mqttUrl!, { username, password });
    open.push(probe);
    return probe;
  };

  it('accepts the right password and applies the policy of the identity the username names', async () => {
    const svc = await tcp('opcfleet-service', 'service-pw');
    await svc.subscribe('tenants/+/clients/+/status');
    const device = await tcp(deviceUser, 'device-pw');
    expect(
      await device.subscribe(clientCommandsFilter({ tenantId: tenant, clientId: 'pw-device' })),
    ).toBe(1);
    expect(await device.subscribe('#')).toBe(0x80);
    await device.publish(statusTopic({ tenantId: tenant, clientId: 'pw-device' }), 'ok');
    expect((await svc.waitFor(`${deviceUser}/status`)).payload).toBe('ok');
  });

  it.each([
    ['a wrong password', 'opcfleet-service', 'nope', /Bad username or password/i],
    ['an unknown user', 'mallory', 'service-pw', /Bad username or password/i],
    ['a user that names no identity', 'bob', 'bob-pw', /Not authorized/i],
  ])('refuses %s', async (_what, username, password, expected) => {
    const outcome = await connectOutcome(broker.mqttUrl!, { username, password });
    expect(outcome.connected).toBe(false);
    expect(outcome.error).toMatch(expected);
  });

  it('refuses an anonymous client by default', async () => {
    const outcome = await connectOutcome(broker.mqttUrl!, {});
    expect(outcome).toEqual({ connected: false, error: expect.stringMatching(/Not authorized/i) });
  });

  it('logs every refusal with identity, client id, topic and reason', async () => {
    const device = await tcp(deviceUser, 'device-pw');
    await device.subscribe('tenants/+/clients/+/status');
    await eventually(() =>
      expect(refusals(log.lines)).toContainEqual(
        expect.objectContaining({
          action: 'subscribe',
          identity: deviceUser,
          clientId: device.client.options.clientId,
          topic: 'tenants/+/clients/+/status',
          reason: "filter reaches outside the device's own tree",
        }),
      ),
    );
    await connectOutcome(broker.mqttUrl!, { username: 'opcfleet-service', password: 'wrong' });
    await eventually(() =>
      expect(refusals(log.lines)).toContainEqual(
        expect.objectContaining({
          action: 'connect',
          username: 'opcfleet-service',
          reason: 'bad username or password',
        }),
      ),
    );
  });

  it('disconnects a device that publishes outside its tree, and logs it', async () => {
    const device = await tcp(deviceUser, 'device-pw');
    const closed = new Promise<void>((resolve) => device.client.once('close', () => resolve()));
    device.client.publish(`tenants/${tenant}/clients/other/status`, 'forged', { qos: 1 });
    await closed;
    await eventually(() =>
      expect(refusals(log.lines)).toContainEqual(
        expect.objectContaining({
          action: 'publish',
          identity: deviceUser,
          topic: `tenants/${tenant}/clients/other/status`,
        }),
      ),
    );
  });

  it('logs a TLS client that brings no certificate', async () => {
    const outcome = await connectOutcome(broker.mqttsUrl!, { ca: pki.ca });
    expect(outcome.connected).toBe(false);
    await eventually(() =>
      expect(refusals(log.lines)).toContainEqual(
        expect.objectContaining({ action: 'tls-handshake' }),
      ),
    );
  });

  it('refuses a certificate from the right CA whose CN names no identity', async () => {
    const outcome = await connectOutcome(broker.mqttsUrl!, {
      ca: pki.ca,
      ...pki.arbitrary('rogue'),
    });
    expect(outcome).toEqual({ connected: false, error: expect.stringMatching(/Not authorized/i) });
    await eventually(() =>
      expect(refusals(log.lines)).toContainEqual(
        expect.objectContaining({
          action: 'connect',
          reason: 'certificate CN "rogue" names no identity',
        }),
      ),
    );
  });

  it('with client certificates optional, takes a password over TLS and refuses anonymous', async () => {
    const optional = await startBroker({
      port: false,
      tlsPort: 0,
      tls: { key: pki.broker.key, cert: pki.broker.cert, ca: pki.ca, requestCert: false },
      users: await new PasswordUsers(new Map()).withPlainPassword('opcfleet-service', 'service-pw'),
      logger: pino({ level: 'silent' }),
    });
    try {
      const anonymous = await connectOutcome(optional.mqttsUrl!, { ca: pki.ca });
      expect(anonymous).toEqual({
        connected: false,
        error: expect.stringMatching(/Not authorized/i),
      });
      const withPassword = await MqttProbe.connect(optional.mqttsUrl!, {
        ca: pki.ca,
        username: 'opcfleet-service',
        password: 'service-pw',
      });
      expect(await withPassword.subscribe('#')).toBe(1);
      await withPassword.end();
    } finally {
      await optional.close();
    }
  });

  it('does not let a device knock another off by reusing its client id', async () => {
    const victimAddress = { tenantId: tenant, clientId: 'victim' };
    const tls = (keys: { cert: Buffer; key: Buffer }) =>
      MqttProbe.connect(broker.mqttsUrl!, { ca: pki.ca, ...keys, clientId: 'agent' });
    const victim = await tls(pki.device(tenant, 'victim'));
    open.push(victim);
    let victimClosed = false;
    victim.client.once('close', () => (victimClosed = true));
    await victim.subscribe(clientCommandsFilter(victimAddress));
    open.push(await tls(pki.device(tenant, 'thief')));

    const svc = await tcp('opcfleet-service', 'service-pw');
    await svc.publish(commandTopic(victimAddress, 'update'), 'still-here');
    expect((await victim.waitFor(commandTopic(victimAddress, 'update'))).payload).toBe(
      'still-here',
    );
    expect(victimClosed).toBe(false);
  });

  it('drops a connection that sends garbage and keeps serving others', async () => {
    const url = new URL(broker.mqttUrl!);
    const socket = connectTcp(Number(url.port), url.hostname);
    await new Promise((resolve) => socket.once('connect', resolve));
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x13, 0x37]));
    await closed;
    const svc = await tcp('opcfleet-service', 'service-pw');
    expect(await svc.subscribe('#')).toBe(1);
  });
});

describe('aedes broker: development mode', () => {
  /** Runs `use` against a TCP-only broker that lets anonymous clients in. */
  async function withAnonymousBroker(use: (url: string) => Promise<void>) {
    const broker = await startBroker({
      port: 0,
      allowAnonymous: true,
      logger: pino({ level: 'silent' }),
    });
    try {
      await use(broker.mqttUrl!);
    } finally {
      await broker.close();
    }
  }

  it('trusts anonymous clients as a service account only when allowAnonymous is set', () =>
    withAnonymousBroker(async (url) => {
      const probe = await MqttProbe.connect(url, {});
      expect(await probe.subscribe('#')).toBe(1);
      await probe.end();
    }));

  it('answers an MQTT 5 CONNECT with "unacceptable protocol version" (aedes speaks 3.1.1)', () =>
    withAnonymousBroker(async (url) => {
      const outcome = await connectOutcome(url, { protocolVersion: 5 });
      expect(outcome).toEqual({
        connected: false,
        error: expect.stringMatching(/Unacceptable protocol version/i),
      });
    }));

  it('frees its ports on close', async () => {
    const broker = await startBroker({ port: 0, logger: pino({ level: 'silent' }) });
    await broker.close();
    const outcome = await connectOutcome(broker.mqttUrl!, { connectTimeout: 1000 });
    expect(outcome.connected).toBe(false);
    expect(outcome.error).toMatch(/ECONNREFUSED|closed/);
  });
});

describe('aedes broker: packet size limit', () => {
  jest.setTimeout(60_000);
  const tenant = `t-${randomUUID().slice(0, 8)}`;
  const sender = { tenantId: tenant, clientId: 'big-sender' };
  const senderUser = `tenants/${tenant}/clients/big-sender`;
  const witness = { tenantId: tenant, clientId: 'witness' };
  let pki: DevPki;
  let broker: RunningBroker;
  let log: ReturnType<typeof logCapture>;
  const open: MqttProbe[] = [];
  const sockets: Socket[] = [];

  beforeAll(async () => {
    pki = devPki();
    const users = await (
      await new PasswordUsers(new Map()).withPlainPassword('opcfleet-service', 'service-pw')
    ).withPlainPassword(senderUser, 'sender-pw');
    log = logCapture();
    broker = await startBroker({
      port: 0,
      tlsPort: 0,
      tls: { key: pki.broker.key, cert: pki.broker.cert, ca: pki.ca },
      users: await users.withPlainPassword(`tenants/${tenant}/clients/witness`, 'witness-pw'),
      logger: log.logger,
    });
  });
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await Promise.all(open.splice(0).map((probe) => probe.end()));
  });
  afterAll(async () => {
    await broker?.close();
    pki?.forgetTenant(tenant);
  });

  const probe = async (username: string, password: string) => {
    const connected = await MqttProbe.connect(broker.mqttUrl!, { username, password });
    open.push(connected);
    return connected;
  };

  /** A connection of `sender` that has been accepted, on the TCP (password) or TLS listener. */
  async function rawSender(listener: 'tcp' | 'tls'): Promise<Socket> {
    const url = new URL(listener === 'tcp' ? broker.mqttUrl! : broker.mqttsUrl!);
    const socket =
      listener === 'tcp'
        ? connectTcp(Number(url.port), url.hostname)
        : connectTls({
            port: Number(url.port),
            host: url.hostname,
            ca: pki.ca,
            ...pki.device(tenant, 'big-sender'),
          });
    sockets.push(socket);
    socket.write(
      listener === 'tcp'
        ? connectPacket(`raw-${listener}`, senderUser, 'sender-pw')
        : connectPacket(`raw-${listener}`),
    );
    await awaitConnack(socket);
    return socket;
  }

  it.each(['tcp', 'tls'] as const)(
    'closes a %s connection whose PUBLISH announces 250 MB at its header: memory stays flat, nobody gets it',
    async (listener) => {
      const svc = await probe('opcfleet-service', 'service-pw');
      await svc.subscribe('tenants/+/clients/+/status');
      const socket = await rawSender(listener);
      const announced = 250_000_000;

      const baseline = process.memoryUsage().arrayBuffers;
      let peak = baseline;
      const sampler = setInterval(
        () => (peak = Math.max(peak, process.memoryUsage().arrayBuffers)),
        5,
      );
      socket.write(publishHead(statusTopic(sender), announced));
      const taken = await streamPayload(socket, announced);
      clearInterval(sampler);
      peak = Math.max(peak, process.memoryUsage().arrayBuffers);

      expect(taken).toBeLessThan(32 * 1024 * 1024);
      expect(peak - baseline).toBeLessThan(64 * 1024 * 1024);
      await eventually(() =>
        expect(refusals(log.lines)).toContainEqual(
          expect.objectContaining({
            action: 'packet-size',
            identity: senderUser,
            clientId: `raw-${listener}`,
            packetType: 'publish',
            bytes: publishPacketBytes(statusTopic(sender), announced),
            limit: 1024 * 1024,
          }),
        ),
      );
      const other = await probe(`tenants/${tenant}/clients/witness`, 'witness-pw');
      await other.publish(statusTopic(witness), 'after');
      await svc.waitFor(statusTopic(witness));
      expect(svc.received.filter((m) => m.topic === statusTopic(sender))).toEqual([]);
    },
  );

  it('refuses one byte over the configured limit and delivers a packet of exactly the limit', async () => {
    const limit = 4096;
    const small = await startBroker({
      port: 0,
      users: await new PasswordUsers(new Map()).withPlainPassword(senderUser, 'sender-pw'),
      maxPacketBytes: limit,
      logger: pino({ level: 'silent' }),
    });
    try {
      const topic = statusTopic(sender);
      let payload = limit;
      while (publishPacketBytes(topic, payload) > limit) payload -= 1;
      expect(publishPacketBytes(topic, payload)).toBe(limit);

      const device = await MqttProbe.connect(small.mqttUrl!, {
        username: senderUser,
        password: 'sender-pw',
      });
      open.push(device);
      await device.subscribe(topic); // its own status comes back to it: delivered
      device.client.publish(topic, 'x'.repeat(payload), { qos: 0 });
      expect((await device.waitFor(topic)).payload).toHaveLength(payload);

      const closed = new Promise<void>((resolve) => device.client.once('close', () => resolve()));
      device.client.publish(topic, 'y'.repeat(payload + 1), { qos: 0 });
      await closed;
    } finally {
      await small.close();
    }
  });
});

describe('aedes broker: disconnecting an identity', () => {
  jest.setTimeout(20_000);
  const tenant = `t-${randomUUID().slice(0, 8)}`;
  const revoked = `tenants/${tenant}/clients/revoked`;
  const kept = `tenants/${tenant}/clients/kept`;
  const open: MqttProbe[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((probe) => probe.end()));
  });

  it('closes every connection of that identity at once, and only those', async () => {
    const log = logCapture();
    const users = await (
      await new PasswordUsers(new Map()).withPlainPassword(revoked, 'pw')
    ).withPlainPassword(kept, 'pw');
    const broker = await startBroker({ port: 0, users, logger: log.logger });
    try {
      const connect = async (username: string) => {
        const probe = await MqttProbe.connect(broker.mqttUrl!, { username, password: 'pw' });
        open.push(probe);
        return probe;
      };
      const first = await connect(revoked);
      const second = await connect(revoked);
      const other = await connect(kept);
      const closes = [first, second].map(
        (probe) => new Promise<void>((resolve) => probe.client.once('close', () => resolve())),
      );

      expect(broker.disconnect(revoked, 'credential revoked')).toBe(2);
      await Promise.all(closes);
      expect(await other.subscribe(`${kept}/commands/#`)).toBe(1);
      // Closing is not banning: whatever still authenticates (here the unchanged password) may come back.
      const back = await connect(revoked);
      expect(await back.subscribe(`${revoked}/commands/#`)).toBe(1);
      expect(log.lines).toContainEqual(
        expect.objectContaining({
          event: 'mqtt.disconnected',
          identity: revoked,
          clientId: first.client.options.clientId,
          reason: 'credential revoked',
        }),
      );
    } finally {
      await broker.close();
    }
  });

  it('refuses a connection whose password check was under way when its identity was disconnected', async () => {
    let checking!: () => void;
    const checkStarted = new Promise<void>((resolve) => (checking = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const slow: PasswordAuthenticator = {
      async check(username, password) {
        checking();
        await released; // e.g. an scrypt check of a credential read just before its revocation
        return username === revoked && String(password) === 'pw';
      },
    };
    const broker = await startBroker({ port: 0, users: slow, logger: pino({ level: 'silent' }) });
    try {
      const outcome = connectOutcome(broker.mqttUrl!, { username: revoked, password: 'pw' });
      await checkStarted;
      expect(broker.disconnect(revoked, 'credential revoked')).toBe(0);
      release();
      expect(await outcome).toEqual({
        connected: false,
        error: expect.stringMatching(/Not authorized/i),
      });
    } finally {
      await broker.close();
    }
  });
});
