import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { updateCommandFor } from './fixtures/commands';
import { startLinkUnderTest } from './support/link-under-test';
import { startAedesAndService } from './support/aedes-and-service';
import { ServiceSide } from './support/service-side';

const MOSQUITTO_URL = process.env.TEST_MOSQUITTO_URL ?? 'mqtt://127.0.0.1:1884';
const HOUR = 3600_000;
const MINUTE = 60_000;

/**
 * A device whose clock is an hour off the service's, on real brokers. The service's timestamps
 * are shifted instead of the device's clock: to the device it is the same.
 */
describe('command expiry with the device clock an hour off', () => {
  let dataDir: string;
  let address: { tenantId: string; clientId: string };
  const closers: Array<() => Promise<unknown>> = [];
  /** An update the service issued `ageMs` ago by its own clock (`serviceOffsetMs` off ours). */
  const commandIssued = (serviceOffsetMs: number, ageMs: number, lifetimeMs: number) => {
    const issued = Date.now() + serviceOffsetMs - ageMs;
    return updateCommandFor(address, {
      issuedAt: new Date(issued).toISOString(),
      expiresAt: new Date(issued + lifetimeMs).toISOString(),
    });
  };

  beforeEach(async () => {
    address = { tenantId: `t-${randomUUID().slice(0, 12)}`, clientId: 'press-07' };
    dataDir = await mkdtemp(path.join(tmpdir(), 'link-clock-'));
  });
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    await rm(dataDir, { recursive: true, force: true });
  });

  describe('on Mosquitto over MQTT 5', () => {
    async function connect() {
      const service = await ServiceSide.connect(MOSQUITTO_URL, address, 5);
      closers.push(async () => {
        await service.clearRetained();
        await service.close();
      });
      return service;
    }
    async function startAgent() {
      const agent = await startLinkUnderTest({
        url: MOSQUITTO_URL,
        address,
        dataDir,
        mqttVersion: 5,
      });
      closers.push(() => agent.link.stop());
      return agent;
    }

    it('runs a command valid for 30 more minutes although the device clock is an hour ahead', async () => {
      const service = await connect();
      const agent = await startAgent();
      const command = commandIssued(-HOUR, MINUTE, 31 * MINUTE);
      await service.send('update', command, { messageExpiryInterval: 30 * 60 });
      await service.until('committed', () =>
        service.reportsOf(command.jobId).some((r) => r.phase === 'committed'),
      );
      expect(agent.runner.started).toEqual([command.jobId]);
      expect(service.reportsOf(command.jobId).some((r) => r.phase === 'rejected')).toBe(false);
    });

    it('never receives a command that expired while it was offline: the broker drops it', async () => {
      const service = await connect();
      const first = await startAgent();
      await first.link.abort(); // offline, its session kept by the broker
      closers.pop();
      const stale = commandIssued(HOUR, 0, 1000);
      await service.send('update', stale, { messageExpiryInterval: 1 });
      const fresh = commandIssued(HOUR, 0, 24 * HOUR);
      await new Promise((resolve) => setTimeout(resolve, 2_100)); // the stale one's lifetime
      await service.send('update', fresh, { messageExpiryInterval: 24 * 3600 });
      const agent = await startAgent();
      await service.until('the fresh command committed', () =>
        service.reportsOf(fresh.jobId).some((r) => r.phase === 'committed'),
      );
      expect(agent.runner.started).toEqual([fresh.jobId]);
      expect(service.reportsOf(stale.jobId)).toEqual([]);
    });
  });

  describe('on aedes over MQTT 3.1.1', () => {
    it('refuses an expired command with the device clock an hour behind, once a command showed the skew', async () => {
      const { broker, service, close } = await startAedesAndService(address);
      closers.push(close);
      const agent = await startLinkUnderTest({ url: broker.url, address, dataDir });
      closers.push(() => agent.link.stop());

      const fresh = commandIssued(HOUR, 1000, 24 * HOUR);
      await service.send('update', fresh);
      await service.until('the fresh command committed', () =>
        service.reportsOf(fresh.jobId).some((r) => r.phase === 'committed'),
      );
      const stale = commandIssued(HOUR, 24 * HOUR + 30 * MINUTE, 24 * HOUR);
      await service.send('update', stale);
      await service.until(
        'the stale command refused',
        () => service.reportsOf(stale.jobId).length > 0,
      );
      expect(service.reportsOf(stale.jobId)).toEqual([
        expect.objectContaining({
          phase: 'rejected',
          error: expect.objectContaining({ code: 'expired' }),
        }),
      ]);
      expect(agent.runner.started).toEqual([fresh.jobId]);
    });
  });
});
