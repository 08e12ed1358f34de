import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { configCommandFor, updateCommandFor } from './fixtures/commands';
import { startLinkUnderTest } from './support/link-under-test';
import { HAPPY_PHASES } from './support/scripted-runner';
import { ServiceSide } from './support/service-side';

export interface BrokerUnderTest {
  url: string;
  mqttVersion: 4 | 5;
  close(): Promise<void>;
}

/** What the agent's link must do on any broker: one suite, run against aedes and Mosquitto. */
export function describeLinkBehaviour(name: string, startBroker: () => Promise<BrokerUnderTest>) {
  describe(`edge agent link on ${name}`, () => {
    let broker: BrokerUnderTest;
    let dataDir: string;
    let service: ServiceSide;
    let agent: Awaited<ReturnType<typeof startLinkUnderTest>>;
    let address: { tenantId: string; clientId: string };

    beforeAll(async () => {
      broker = await startBroker();
    });
    afterAll(() => broker.close());

    beforeEach(async () => {
      // A tenant of its own per test: parallel workers and repeated runs never meet.
      address = { tenantId: `t-${randomUUID().slice(0, 12)}`, clientId: 'press-07' };
      dataDir = await mkdtemp(path.join(tmpdir(), 'link-'));
      service = await ServiceSide.connect(broker.url, address, broker.mqttVersion);
      agent = await startLinkUnderTest({
        url: broker.url,
        address,
        dataDir,
        mqttVersion: broker.mqttVersion,
      });
    });
    afterEach(async () => {
      await agent.link.stop();
      await service.clearRetained();
      await service.close();
      await rm(dataDir, { recursive: true, force: true });
    });

    it('announces itself online (retained) and reports every phase of an update in order', async () => {
      await service.until('online presence', () =>
        service.presence.some((p) => p.status === 'online'),
      );
      const command = updateCommandFor(address);
      await service.send('update', command);
      await service.until('committed', () =>
        service.reportsOf(command.jobId).some((r) => r.phase === 'committed'),
      );
      const reports = service.reportsOf(command.jobId);
      expect(reports.map((r) => [r.seq, r.phase])).toEqual(
        HAPPY_PHASES.map((phase, i) => [i + 1, phase]),
      );
      expect(reports.every((r) => r.correlationId === command.correlationId)).toBe(true);
      expect(service.invalid).toEqual([]);
      await agent.reporter.flushed();
      expect(agent.outbox.size()).toBe(0);
    });

    it('runs a duplicate command once and sends its last report again', async () => {
      const command = updateCommandFor(address);
      await service.send('update', command);
      await service.until('committed', () =>
        service.reportsOf(command.jobId).some((r) => r.phase === 'committed'),
      );
      await service.send('update', command);
      await service.until(
        'the committed report again',
        () => service.reportsOf(command.jobId).filter((r) => r.phase === 'committed').length === 2,
      );
      expect(agent.runner.started).toEqual([command.jobId]);
      const committed = service.reportsOf(command.jobId).filter((r) => r.phase === 'committed');
      expect(committed[1]).toEqual(committed[0]);
    });

    it('drops malformed and misaddressed commands and keeps serving', async () => {
      await service.send('update', '{"schema": "opcfleet.command.update/v1", ');
      await service.send('update', Buffer.from([0xff, 0xfe, 0x00]));
      await service.send('update', updateCommandFor({ ...address, clientId: 'someone-else' }));
      await service.send('config', {
        ...configCommandFor(address, 1),
        payload: { version: 'one' },
      });
      const good = configCommandFor(address, 2);
      await service.send('config', good);
      await service.until('the good config applied', () =>
        service.reportsOf(good.jobId).some((r) => r.phase === 'applied'),
      );
      expect(service.reports.map((r) => r.jobId)).toEqual([good.jobId, good.jobId]);
      expect(agent.runner.started).toEqual([]);
      expect(agent.configs.applied).toEqual([2]);
    });

    it('rejects a second update while one is running, with the reason', async () => {
      agent.runner.hold();
      const first = updateCommandFor(address);
      const second = updateCommandFor(address);
      await service.send('update', first);
      await service.until('first pulling', () =>
        service.reportsOf(first.jobId).some((r) => r.phase === 'pulling'),
      );
      await service.send('update', second);
      await service.until('second rejected', () => service.reportsOf(second.jobId).length === 1);
      expect(service.reportsOf(second.jobId)[0]).toMatchObject({
        seq: 1,
        phase: 'rejected',
        error: { code: 'refused', message: `update ${first.jobId} is in progress` },
      });
      agent.runner.open();
      await service.until('first committed', () =>
        service.reportsOf(first.jobId).some((r) => r.phase === 'committed'),
      );
    });

    it('leaves an offline last will when the connection dies without a goodbye', async () => {
      await service.until('online presence', () =>
        service.presence.some((p) => p.status === 'online'),
      );
      await agent.link.abort();
      await service.until('offline presence', () => service.presence.at(-1)?.status === 'offline');
      // A restarted agent says online again.
      agent = await startLinkUnderTest({
        url: broker.url,
        address,
        dataDir,
        mqttVersion: broker.mqttVersion,
      });
      await service.until('online again', () => service.presence.at(-1)?.status === 'online');
    });
  });
}
