import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { recordingLogger } from '../src/update-machine/testing/recording-logger';
import { updateCommandFor } from './fixtures/commands';
import { startLinkUnderTest } from './support/link-under-test';
import { RestartableAedes } from './support/restartable-aedes';
import { ServiceSide } from './support/service-side';

const MOSQUITTO_URL = process.env.TEST_MOSQUITTO_URL ?? 'mqtt://127.0.0.1:1884';

/** The takeover detection and back-off of a device, shortened from minutes to seconds. */
const FAST = {
  reconnectMs: 200,
  quickCloseMs: 2000,
  quickClosesInARow: 2,
  stableMs: 3000,
  backoffBaseMs: 400,
  backoffCapMs: 1600,
};

interface Broker {
  url: string;
  /** The agents' EDGE_AGENT_MQTT_VERSION. */
  mqttVersion: 4 | 'auto';
  /** The test service's connection. */
  serviceVersion: 4 | 5;
  /** How the agents can tell their session was taken over. */
  evidence: 'session_taken_over' | 'connections_cut_short';
  close(): Promise<void>;
}

const BROKERS: Array<[string, () => Promise<Broker>]> = [
  [
    // Mosquitto 2.0.11 (Debian 12) closes the connection without DISCONNECT 0x8E, which newer
    // Mosquitto and EMQX send: here, too, the pattern of connections cut short tells.
    'Mosquitto over MQTT 5',
    async () => ({
      url: MOSQUITTO_URL,
      mqttVersion: 'auto',
      serviceVersion: 5,
      evidence: 'connections_cut_short',
      close: async () => {},
    }),
  ],
  [
    'Mosquitto over MQTT 3.1.1 (connections cut short)',
    async () => ({
      url: MOSQUITTO_URL,
      mqttVersion: 4,
      serviceVersion: 4,
      evidence: 'connections_cut_short',
      close: async () => {},
    }),
  ],
  [
    'aedes over MQTT 3.1.1 (connections cut short)',
    async () => {
      const aedes = new RestartableAedes();
      await aedes.start();
      return {
        url: aedes.url,
        mqttVersion: 'auto',
        serviceVersion: 4,
        evidence: 'connections_cut_short',
        close: () => aedes.stop(),
      };
    },
  ],
];

/** An operator's mistake: two agents started with the same identity, each with its own data dir. */
describe.each(BROKERS)('two agents with one identity on %s', (_name, startBroker) => {
  const closers: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  it('each says once, plainly, that its session was taken over, backs off and refuses jobs; once one stops, the other runs jobs', async () => {
    const broker = await startBroker();
    closers.push(() => broker.close());
    const address = { tenantId: `t-${randomUUID().slice(0, 12)}`, clientId: 'press-07' };
    const service = await ServiceSide.connect(broker.url, address, broker.serviceVersion);
    closers.push(async () => {
      await service.clearRetained();
      await service.close();
    });
    const agent = async () => {
      const dataDir = await mkdtemp(path.join(tmpdir(), 'link-takeover-'));
      const log = recordingLogger();
      const link = await startLinkUnderTest({
        url: broker.url,
        address,
        dataDir,
        mqttVersion: broker.mqttVersion,
        logger: log.logger as never,
        takeoverPolicy: FAST,
      });
      closers.push(async () => {
        await link.link.stop();
        await rm(dataDir, { recursive: true, force: true });
      });
      return { ...link, log };
    };
    const first = await agent();
    const second = await agent();
    const TAKEN_OVER =
      /^MQTT session taken over: another client connected with this agent's client id/;
    await Promise.all([first.log.waitFor(TAKEN_OVER), second.log.waitFor(TAKEN_OVER)]);
    // They keep taking the session from each other, further and further apart.
    await Promise.all([
      first.log.waitFor(/taken over again/),
      second.log.waitFor(/taken over again/),
    ]);
    for (const { log, link } of [first, second]) {
      expect(log.messages.filter((m) => TAKEN_OVER.test(m))).toHaveLength(1);
      expect(link.sessionConflict()).toMatchObject({ evidence: broker.evidence });
      expect(link.sessionConflict()!.reconnectInMs).toBeGreaterThan(FAST.reconnectMs);
    }

    const refused = updateCommandFor(address);
    await service.send('update', refused);
    await service.until('the job refused', () => service.reportsOf(refused.jobId).length > 0);
    expect(service.reportsOf(refused.jobId)[0]).toMatchObject({
      phase: 'rejected',
      error: { code: 'identity_conflict', message: expect.stringContaining('another agent') },
    });
    expect([...first.runner.started, ...second.runner.started]).toEqual([]);

    await second.link.stop();
    await first.log.waitFor(/taken over no more/);
    expect(first.link.sessionConflict()).toBeNull();
    const next = updateCommandFor(address);
    await service.send('update', next);
    await service.until('the next job committed', () =>
      service.reportsOf(next.jobId).some((r) => r.phase === 'committed'),
    );
    expect(first.runner.started).toEqual([next.jobId]);
  });
});
