import { randomUUID } from 'node:crypto';
import {
  clientTopic,
  MAX_MESSAGE_BYTES,
  STATUS_REPORT_SCHEMA,
  type ClientAddress,
  type ClientChannel,
} from '@opcfleet/contracts';
import { SignJWT } from 'jose';
import type mqtt from 'mqtt';
import { BROKERS } from './harness/brokers';
import { E2E_JWT_SECRET } from './harness/device-management';
import { eventually, sleep } from './harness/free-port';
import { eventTypes, historyProblems } from './harness/event-history';
import { FleetStack, SCENARIO_TIMEOUT_MS, STACK_TIMEOUT_MS } from './harness/fleet-stack';
import { connectWithCertificate, recordMessages } from './harness/mqtt-clients';

jest.setTimeout(SCENARIO_TIMEOUT_MS);

const REFUSED = 0x80;

/** A status report that would end `jobId` as committed, were it believed. */
function forgedCommit(address: ClientAddress, jobId: string): string {
  return JSON.stringify({
    schema: STATUS_REPORT_SCHEMA,
    messageId: randomUUID(),
    ...address,
    correlationId: 'forged',
    jobId,
    seq: 1,
    at: new Date().toISOString(),
    version: '2.0.0',
    jobKind: 'update',
    phase: 'committed',
  });
}

/** Publishes and swallows the refusal: a broker may close the connection (3.1.1) or NACK (5). */
async function tryPublish(client: mqtt.MqttClient, topic: string, payload: string | Buffer) {
  await Promise.race([
    client.publishAsync(topic, payload, { qos: 1 }).catch(() => undefined),
    sleep(2_000),
  ]);
}

/**
 * Hostile devices and hostile bytes against the whole system (the broker policy in detail is
 * services/broker/test): what a device with a valid certificate is refused, and that nothing
 * it sends reaches the read models; garbage on every topic is dropped and the system goes on.
 */
describe.each(BROKERS)('hostile input end to end on %s', (kind) => {
  let stack: FleetStack;

  beforeAll(async () => {
    stack = await FleetStack.start(kind, 'hostile');
  }, STACK_TIMEOUT_MS);

  afterAll(async () => {
    await stack?.close();
  }, STACK_TIMEOUT_MS);

  it("keeps a device with a valid certificate out of another client's commands and status", () =>
    stack.scenario(async () => {
      const victim = { tenantId: stack.tenantId, clientId: stack.nextClientId('victim') };
      await stack.api.registerClient(victim.clientId, '1.0.0');
      const intruderId = stack.nextClientId('intruder');
      await stack.api.registerClient(intruderId, '1.0.0');
      const intruder = await connectWithCertificate(
        stack.broker,
        await stack.deviceCertificate(intruderId),
        'intruder',
      );
      try {
        const ofVictim = await recordMessages(intruder, clientTopic(victim, 'commands/update'));
        const everything = await recordMessages(intruder, '#');
        if (kind === 'aedes')
          expect([...ofVictim.granted, ...everything.granted]).toEqual([REFUSED, REFUSED]);

        // The victim is offline: its job waits, with the command published to its topic.
        const jobId = await stack.api.requestUpdate(
          victim.clientId,
          '2.0.0',
          '127.0.0.1:5000/opcfleet/opc-core:2.0.0',
        );
        await sleep(2_000);
        expect(ofVictim.messages).toEqual([]);
        expect(everything.messages).toEqual([]);

        await tryPublish(intruder, clientTopic(victim, 'status'), forgedCommit(victim, jobId));
        const otherTenant = { tenantId: `${stack.tenantId}-other`, clientId: victim.clientId };
        await tryPublish(
          intruder,
          clientTopic(otherTenant, 'status'),
          forgedCommit(otherTenant, randomUUID()),
        );
        await sleep(1_500);

        const job = await stack.api.getJob(jobId);
        expect(job.status).toMatch(/^(Requested|Dispatched)$/);
        expect(eventTypes(await stack.api.jobEvents(jobId))).not.toContain('UpdateSucceeded');
        expect((await stack.api.getClient(victim.clientId)).version.reported).toBe('1.0.0');
        if (kind === 'aedes') {
          const refusals = stack.broker.process
            .jsonLines()
            .filter((l) => l.event === 'mqtt.refused');
          expect(refusals.map((l) => l.action)).toEqual(
            expect.arrayContaining(['subscribe', 'publish']),
          );
        }
      } finally {
        await intruder.endAsync(true);
      }
    }));

  it('drops malformed, oversized and wrong-schema messages on every topic and keeps working', () =>
    stack.scenario(async () => {
      const device = await stack.addDevice();
      const { address } = device;
      const garbage: Array<string | Buffer> = [
        Buffer.from([0xff, 0x00, 0xfe, 0x01]),
        '{"unterminated": ',
        JSON.stringify({ schema: 'opcfleet.status/v1', hello: 'world' }),
        JSON.stringify({ schema: 'opcfleet.presence/v1', status: 'sideways' }),
        `{"pad":"${'x'.repeat(MAX_MESSAGE_BYTES + 1024)}"}`,
      ];

      // Down to the agent, as the service would send it.
      await presenceIs(address.clientId, 'online'); // the agent subscribed before saying so
      const asService = await connectWithCertificate(
        stack.broker,
        stack.broker.serviceTls,
        'garbage',
      );
      try {
        for (const channel of ['commands/update', 'commands/config'] as const) {
          for (const payload of garbage)
            await asService.publishAsync(clientTopic(address, channel), payload, { qos: 1 });
        }
      } finally {
        await asService.endAsync();
      }
      await eventually(
        'the agent dropped every garbage command',
        async () => (agentDrops(device) >= garbage.length * 2 ? true : undefined),
        { timeoutMs: 10_000, intervalMs: 100 },
      );

      // Up to the service, as the device would send it. One identity holds one connection
      // (Mosquitto binds the session to the certificate), so the agent steps aside meanwhile.
      await device.process.stop();
      await presenceIs(address.clientId, 'offline');
      const asDevice = await connectWithCertificate(
        stack.broker,
        await stack.deviceCertificate(address.clientId),
        'garbage',
      );
      const dropLinesBefore = droppedLines();
      try {
        const upward: ClientChannel[] = ['status', 'presence', 'state'];
        for (const channel of upward) {
          for (const payload of garbage)
            await asDevice.publishAsync(clientTopic(address, channel), payload, { qos: 1 });
        }
        // The service subscribes to status and presence: each garbage message there is one log line.
        const expected = garbage.length * 2;
        await sleep(1_500);
        expect(droppedLines() - dropLinesBefore).toBeGreaterThanOrEqual(expected);
      } finally {
        await asDevice.endAsync();
      }
      expect(stack.service.process.running).toBe(true);
      await device.start();
      await presenceIs(address.clientId, 'online');

      // Business as usual afterwards.
      const jobId = await stack.api.requestUpdate(
        address.clientId,
        '2.0.0',
        device.workload.image('2.0.0'),
      );
      const job = await stack.api.waitForJob(jobId);
      expect(job.status).toBe('Succeeded');
      expect(await device.runningImage()).toBe(device.workload.image('2.0.0'));
      expect(
        historyProblems(await stack.api.jobEvents(jobId), await device.lastReportSeq(jobId)),
      ).toEqual([]);
    }));

  it('refuses hostile HTTP requests with 4xx, never a 500, and keeps serving', () =>
    stack.scenario(async () => {
      const { baseUrl } = stack.service;
      const admin = `Bearer ${await signed((jwt) => jwt.setIssuedAt().setExpirationTime('1h'))}`;
      const neverExpires = `Bearer ${await signed((jwt) => jwt.setIssuedAt())}`;
      const json = 'application/json';
      const attempts: Array<[string, string, string, string, number]> = [
        // [path, content type, body, authorization, expected status]
        [
          '/api/v1/clients',
          json,
          `{"clientId":"deep","labels":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}`,
          admin,
          400,
        ],
        ['/api/v1/rollouts', json, `{"clientIds":["${'x'.repeat(3 * 1024 * 1024)}"]}`, admin, 413],
        ['/api/v1/clients', 'application/x-www-form-urlencoded', 'clientId=form', admin, 415],
        ['/api/v1/clients', json, '{"clientId":"proto","__proto__":{"admin":true}}', admin, 400],
        ['/api/v1/clients', json, '{"clientId":"forever"}', neverExpires, 401],
      ];
      for (const [path, contentType, body, authorization, expected] of attempts) {
        const response = await fetch(`${baseUrl}${path}`, {
          method: 'POST',
          headers: { 'content-type': contentType, authorization },
          body,
          signal: AbortSignal.timeout(10_000),
        });
        expect({ path, body: body.slice(0, 40), status: response.status }).toEqual({
          path,
          body: body.slice(0, 40),
          status: expected,
        });
        expect(await response.json()).toMatchObject({ statusCode: expected });
      }
      expect(stack.service.process.running).toBe(true);
      expect(stack.service.process.jsonLines().filter((l) => l.msg === 'request failed')).toEqual(
        [],
      );
      // The harness's 12-hour token still works.
      await stack.api.registerClient(stack.nextClientId('after-hostile-http'));
    }));

  function signed(configure: (jwt: SignJWT) => SignJWT): Promise<string> {
    return configure(
      new SignJWT({ tenant: stack.tenantId, roles: ['admin'] })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('e2e-hostile'),
    ).sign(new TextEncoder().encode(E2E_JWT_SECRET));
  }

  function agentDrops(device: { process: { jsonLines(): Array<Record<string, unknown>> } }) {
    return device.process.jsonLines().filter((l) => String(l.msg).startsWith('dropped')).length;
  }

  /** Waits until the service has recorded the client's presence (the agent's retained report). */
  function presenceIs(clientId: string, presence: 'online' | 'offline') {
    return eventually(
      `${clientId} ${presence}`,
      async () => ((await stack.api.getClient(clientId)).presence === presence ? true : undefined),
      { timeoutMs: 15_000, intervalMs: 100 },
    );
  }

  function droppedLines(): number {
    return stack.service.process.jsonLines().filter((l) => / message dropped$/.test(String(l.msg)))
      .length;
  }
});
