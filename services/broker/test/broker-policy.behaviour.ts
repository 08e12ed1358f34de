import {
  clientCommandsFilter,
  commandTopic,
  fleetFilters,
  presenceTopic,
  stateTopic,
  statusTopic,
  type ClientAddress,
} from '@opcfleet/contracts';
import { randomUUID } from 'node:crypto';
import type { IClientOptions } from 'mqtt';
import { serviceAccountOfReplica } from '../src';
import { devPki, type DevPki, type KeyPair } from './support/dev-pki';
import { connectOutcome, MqttProbe } from './support/mqtt-probe';

/** One broker under test, reached over TLS with client certificates. */
export interface PolicyTarget {
  mqttsUrl: string;
  /**
   * Whether a refused SUBSCRIBE gets a failure code in its SUBACK (aedes). Mosquitto 2.0 grants
   * it and filters every delivery through the ACL instead; on both, nothing may be delivered.
   */
  refusesSubscribeInSubAck: boolean;
  close(): Promise<void>;
}

const isRefusal = (granted: number) => granted >= 0x80;

/**
 * The suite's own service identities. Other suites connect to the same Mosquitto as plain
 * `opcfleet-service` at the same time, and Mosquitto binds a session to its identity
 * (use_username_as_clientid): two connections under one identity take turns kicking each other.
 */
const SUITE_SERVICE = serviceAccountOfReplica(15);
const SUITE_SECOND_SERVICE = serviceAccountOfReplica(16);

/** The packet size limit of both brokers (services/broker default, secure.conf). */
const MAX_PACKET_BYTES = 1024 * 1024;

/**
 * The broker access policy (services/broker/src/domain/access-policy.ts), as behaviour every
 * broker we ship a configuration for must show: aedes and Mosquitto (STYLE.md 6).
 */
export function describeBrokerPolicy(
  name: string,
  /** The MQTT versions the broker speaks: 4 = 3.1.1, 5 = MQTT 5. */
  protocolVersions: readonly (4 | 5)[],
  start: (pki: DevPki) => Promise<PolicyTarget>,
) {
  describe(`broker policy on ${name}`, () => {
    jest.setTimeout(20_000);
    const run = randomUUID().slice(0, 8);
    const tenant = `t-${run}`;
    const otherTenant = `t-${run}-other`;
    const a: ClientAddress = { tenantId: tenant, clientId: 'device-a' };
    const b: ClientAddress = { tenantId: tenant, clientId: 'device-b' };
    const sameIdOtherTenant: ClientAddress = { tenantId: otherTenant, clientId: 'device-a' };
    const ownRootOfA = `tenants/${tenant}/clients/device-a/`;

    let pki: DevPki;
    let target: PolicyTarget;
    let serviceKeys: KeyPair;
    let secondServiceKeys: KeyPair;
    const open: MqttProbe[] = [];

    beforeAll(async () => {
      pki = devPki();
      serviceKeys = pki.serviceAccount(SUITE_SERVICE);
      secondServiceKeys = pki.serviceAccount(SUITE_SECOND_SERVICE);
      target = await start(pki);
    });
    afterEach(async () => {
      await Promise.all(open.splice(0).map((probe) => probe.end()));
    });
    afterAll(async () => {
      await target?.close();
      pki?.forgetTenant(tenant);
      pki?.forgetTenant(otherTenant);
    });

    it.each([
      ['TLS 1.2', 'TLSv1.2', false],
      ['TLS 1.3', 'TLSv1.3', true],
    ] as const)(
      'a %s client (%s) connects: %s; nothing below TLS 1.3 does',
      async (_name, version, accepted) => {
        const outcome = await connectOutcome(target.mqttsUrl, {
          ca: pki.ca,
          ...pki.device(a.tenantId, a.clientId),
          protocolVersion: protocolVersions[0],
          clientId: `tls-${randomUUID().slice(0, 8)}`,
          minVersion: version,
          maxVersion: version,
        });
        expect(outcome.connected).toBe(accepted);
      },
    );

    describe.each(protocolVersions)('MQTT protocol version %s', (protocolVersion) => {
      async function connect(keys: KeyPair, extra: IClientOptions = {}) {
        const probe = await MqttProbe.connect(target.mqttsUrl, {
          ca: pki.ca,
          cert: keys.cert,
          key: keys.key,
          protocolVersion,
          clientId: `probe-${randomUUID().slice(0, 12)}`,
          ...extra,
        });
        open.push(probe);
        return probe;
      }
      /** clean: false, plus a session expiry on MQTT 5 (where 0, the default, ends it at once). */
      const persistentSession = (): IClientOptions => ({
        clientId: `agent-${randomUUID().slice(0, 12)}`,
        clean: false,
        ...(protocolVersion === 5 ? { properties: { sessionExpiryInterval: 300 } } : {}),
      });
      const device = (address: ClientAddress, extra?: IClientOptions) =>
        connect(pki.device(address.tenantId, address.clientId), extra);
      const service = (extra?: IClientOptions) => connect(serviceKeys, extra);
      const secondService = (extra?: IClientOptions) => connect(secondServiceKeys, extra);
      /** Watches a connection: the function returned says whether it has closed since. */
      const watchClose = (probe: MqttProbe) => {
        let closed = false;
        probe.client.once('close', () => (closed = true));
        return () => closed;
      };

      it('a device receives the commands sent to it', async () => {
        const deviceA = await device(a);
        expect(isRefusal(await deviceA.subscribe(clientCommandsFilter(a)))).toBe(false);
        await (await service()).publish(commandTopic(a, 'update'), 'update-a');
        expect((await deviceA.waitFor(commandTopic(a, 'update'))).payload).toBe('update-a');
      });

      it.each([
        ["another client's commands", () => clientCommandsFilter(b)],
        [
          "the same client id's commands in another tenant",
          () => clientCommandsFilter(sameIdOtherTenant),
        ],
        ['everything (#)', () => '#'],
        ['every status (tenants/+/clients/+/status)', () => fleetFilters.status],
        ['its tenant (tenants/{t}/#)', () => `tenants/${tenant}/#`],
        ['a shared subscription to every status', () => `$share/spy/${fleetFilters.status}`],
      ])(
        'a device may not subscribe to %s: nothing outside its tree reaches it',
        async (_what, filter) => {
          const deviceA = await device(a);
          await deviceA.subscribe(clientCommandsFilter(a));
          const granted = await deviceA.subscribe(filter());
          if (target.refusesSubscribeInSubAck) expect(isRefusal(granted)).toBe(true);

          const svc = await service();
          for (const address of [b, sameIdOtherTenant]) {
            await svc.publish(commandTopic(address, 'update'), 'not-for-a');
            await svc.publish(statusTopic(address), 'not-for-a');
          }
          // Same publisher, same subscriber: this arrives after anything published before it.
          await svc.publish(commandTopic(a, 'config'), 'barrier');
          await deviceA.waitFor(commandTopic(a, 'config'));
          expect(deviceA.received.filter((m) => !m.topic.startsWith(ownRootOfA))).toEqual([]);
        },
      );

      it.each([
        ['status for another client', () => statusTopic(b)],
        ['status for the same client id in another tenant', () => statusTopic(sameIdOtherTenant)],
        ['presence for another client', () => presenceTopic(b)],
        ['a command to itself', () => commandTopic(a, 'update')],
        ['a command to another client', () => commandTopic(b, 'update')],
      ])('a device may not publish %s: it reaches nobody', async (_what, topic) => {
        const svc = await service();
        for (const filter of [
          fleetFilters.status,
          fleetFilters.presence,
          'tenants/+/clients/+/commands/#',
        ]) {
          expect(isRefusal(await svc.subscribe(filter))).toBe(false);
        }
        const deviceA = await device(a);
        const outcome = await attemptPublish(deviceA, topic(), 'forged-by-a');
        expect(['acknowledged', 'refused', 'disconnected']).toContain(outcome);

        // The forged message was routed (or not) before the broker acknowledged or closed.
        const deviceB = await device(b);
        await deviceB.publish(statusTopic(b), 'legit-b');
        await svc.waitFor(statusTopic(b));
        expect(svc.received.filter((m) => m.payload === 'forged-by-a')).toEqual([]);
      });

      it("a device's last will goes out on its own presence, never on another client's", async () => {
        const svc = await service();
        await svc.subscribe(fleetFilters.presence);
        const honest = await device(a, {
          will: {
            topic: presenceTopic(a),
            payload: Buffer.from('offline-a'),
            qos: 1,
            retain: false,
          },
        });
        // A forged will is refused at CONNECT by some brokers and dropped at publication by others.
        const forger = await device(a, {
          will: {
            topic: presenceTopic(b),
            payload: Buffer.from('forged-will'),
            qos: 1,
            retain: false,
          },
        }).catch(() => null);
        for (const probe of [honest, forger]) probe?.client.stream.destroy(); // no DISCONNECT: wills fire
        expect((await svc.waitFor(presenceTopic(a))).payload).toBe('offline-a');

        // Wills fire as the broker sees the sockets close, well before B's TLS handshake is over.
        const deviceB = await device(b);
        await deviceB.publish(presenceTopic(b), 'online-b');
        await svc.waitFor(presenceTopic(b));
        expect(svc.received.filter((m) => m.payload === 'forged-will')).toEqual([]);
      });

      it('a device publishes its own status, state and presence to the service', async () => {
        const svc = await service();
        for (const filter of Object.values(fleetFilters)) await svc.subscribe(filter);
        const deviceA = await device(a);
        await deviceA.publish(statusTopic(a), 'status-a');
        await deviceA.publish(stateTopic(a), 'state-a');
        await deviceA.publish(presenceTopic(a), 'online');
        expect((await svc.waitFor(statusTopic(a))).payload).toBe('status-a');
        expect((await svc.waitFor(stateTopic(a))).payload).toBe('state-a');
        expect((await svc.waitFor(presenceTopic(a))).payload).toBe('online');
      });

      it('a client without a certificate is refused', async () => {
        const outcome = await connectOutcome(target.mqttsUrl, {
          ca: pki.ca,
          protocolVersion,
          clientId: `anonymous-${run}`,
        });
        expect(outcome.connected).toBe(false);
      });

      it('the service account may subscribe to everything and publish anywhere', async () => {
        const svc = await service();
        expect(isRefusal(await svc.subscribe('#'))).toBe(false);
        const other = await secondService();
        await other.publish(commandTopic(sameIdOtherTenant, 'config'), 'cfg');
        await other.publish(`tenants/${tenant}/anything/else`, 'x');
        expect((await svc.waitFor(commandTopic(sameIdOtherTenant, 'config'))).payload).toBe('cfg');
        expect((await svc.waitFor(`tenants/${tenant}/anything/else`)).payload).toBe('x');
      });

      it('keeps the QoS 1 commands of an offline device with a persistent session', async () => {
        const session = persistentSession();
        const first = await device(a, session);
        await first.subscribe(clientCommandsFilter(a), 1);
        await first.end();

        await (await service()).publish(commandTopic(a, 'update'), 'while-offline');
        const again = await device(a, session);
        expect((await again.waitFor(commandTopic(a, 'update'))).payload).toBe('while-offline');
      });

      it("a device reusing another device's client id gets nothing of its session", async () => {
        const session = persistentSession();
        const victim = await device(b, session);
        await victim.subscribe(clientCommandsFilter(b), 1);
        await victim.end();
        const svc = await service();
        await svc.publish(commandTopic(b, 'update'), 'queued-for-b');

        const thief = await device(a, session);
        await thief.subscribe(clientCommandsFilter(a), 1);
        await svc.publish(commandTopic(a, 'update'), 'barrier');
        await thief.waitFor(commandTopic(a, 'update'));
        expect(thief.received.filter((m) => !m.topic.startsWith(ownRootOfA))).toEqual([]);
      });

      it.each([
        ['another device', () => device(b, { clientId: `shared-${randomUUID().slice(0, 8)}` })],
        ['the service', () => service({ clientId: `shared-${randomUUID().slice(0, 8)}` })],
      ])(
        "a device that sends %s's client id does not take its connection over",
        async (_who, connectVictim) => {
          const victim = await connectVictim();
          const victimClosed = watchClose(victim);
          const victimIsService = victim.client.options.cert === serviceKeys.cert;
          await victim.subscribe(victimIsService ? fleetFilters.status : clientCommandsFilter(b));

          const thief = await device(a, { clientId: victim.client.options.clientId });
          await thief.publish(statusTopic(a), 'thief-connected');

          // The victim's connection still carries what is meant for it.
          const sender = victimIsService ? await device(b) : await secondService();
          const topic = victimIsService ? statusTopic(b) : commandTopic(b, 'update');
          await sender.publish(topic, 'for-the-victim');
          expect((await victim.waitFor(topic)).payload).toBe('for-the-victim');
          expect(victimClosed()).toBe(false);
        },
      );

      it('two service replicas (one identity each) sending the same client id both stay connected', async () => {
        const clientId = `device-management-${randomUUID().slice(0, 8)}`;
        const first = await service({ clientId });
        const firstClosed = watchClose(first);
        await first.subscribe(fleetFilters.status);
        const second = await secondService({ clientId });
        await second.subscribe(fleetFilters.status);

        const deviceA = await device(a);
        await deviceA.publish(statusTopic(a), 'to-both-replicas');
        expect((await first.waitFor(statusTopic(a))).payload).toBe('to-both-replicas');
        expect((await second.waitFor(statusTopic(a))).payload).toBe('to-both-replicas');
        expect(firstClosed()).toBe(false);
      });

      if (protocolVersion === 4) {
        // An MQTT 5 client learns the limit from the CONNACK and refuses to send such a packet
        // itself; a 3.1.1 client (or a hostile one) sends it, and the broker must stop it.
        it('closes the connection of a device that publishes a packet over 1 MiB; nobody gets it', async () => {
          const svc = await service();
          await svc.subscribe(fleetFilters.status);
          const deviceA = await device(a);
          const oversized = 'x'.repeat(MAX_PACKET_BYTES);
          expect(await attemptPublish(deviceA, statusTopic(a), oversized)).toBe('disconnected');

          // A packet near the limit still passes, and arrives after anything routed before it.
          const deviceB = await device(b);
          const nearLimit = 'y'.repeat(MAX_PACKET_BYTES - 1024);
          await deviceB.publish(statusTopic(b), nearLimit);
          expect((await svc.waitFor(statusTopic(b))).payload).toBe(nearLimit);
          expect(svc.received.filter((m) => m.topic === statusTopic(a))).toEqual([]);
        });
      }

      it("serves a device's retained state to a later subscriber", async () => {
        const deviceA = await device(a);
        await deviceA.publish(stateTopic(a), `state-${protocolVersion}`, { retain: true });
        const svc = await service();
        await svc.subscribe(stateTopic(a));
        const message = await svc.waitFor(stateTopic(a));
        expect(message).toEqual({
          topic: stateTopic(a),
          payload: `state-${protocolVersion}`,
          retain: true,
        });
        await svc.publish(stateTopic(a), '', { retain: true }); // clears it
      });
    });
  });
}

/** Publishes QoS 1 and reports how the broker answered; never hangs on a closed connection. */
async function attemptPublish(
  probe: MqttProbe,
  topic: string,
  payload: string,
): Promise<'acknowledged' | 'refused' | 'disconnected'> {
  const closed = new Promise<'disconnected'>((resolve) =>
    probe.client.once('close', () => resolve('disconnected')),
  );
  const answered = probe.client.publishAsync(topic, payload, { qos: 1 }).then(
    (packet): 'acknowledged' | 'refused' =>
      ((packet as { reasonCode?: number } | undefined)?.reasonCode ?? 0) >= 0x80
        ? 'refused'
        : 'acknowledged',
    (): 'refused' => 'refused',
  );
  return Promise.race([answered, closed]);
}
