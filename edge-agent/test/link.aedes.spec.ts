import { randomUUID } from 'node:crypto';
import { readdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { updateCommandFor } from './fixtures/commands';
import { describeLinkBehaviour } from './link.behaviour';
import { startLinkUnderTest } from './support/link-under-test';
import { HAPPY_PHASES } from './support/scripted-runner';
import { RestartableAedes } from './support/restartable-aedes';
import { ServiceSide } from './support/service-side';

describeLinkBehaviour('aedes (in-process, MQTT 3.1.1)', async () => {
  const broker = new RestartableAedes();
  await broker.start();
  return { url: broker.url, mqttVersion: 4, close: () => broker.stop() };
});

describe('edge agent link across a broker outage and a power cut (aedes)', () => {
  let broker: RestartableAedes;
  let dataDir: string;
  let service: ServiceSide;
  type Agent = Awaited<ReturnType<typeof startLinkUnderTest>>;
  let agents: Agent[];
  const start = async () => {
    const agent = await startLinkUnderTest({ url: broker.url, address, dataDir });
    agents.push(agent);
    return agent;
  };
  /** QoS 1 is at-least-once: the service dedupes by (jobId, seq), so the test does too. */
  const firstArrivals = (jobId: string) =>
    service.reportsOf(jobId).filter((r, i, all) => all.findIndex((o) => o.seq === r.seq) === i);
  const address = { tenantId: `t-${randomUUID().slice(0, 12)}`, clientId: 'press-07' };

  beforeEach(async () => {
    broker = new RestartableAedes();
    await broker.start();
    agents = [];
    dataDir = await mkdtemp(path.join(tmpdir(), 'link-outage-'));
    service = await ServiceSide.connect(broker.url, address);
  });
  afterEach(async () => {
    for (const agent of agents) await agent.link.stop();
    await service.close();
    await broker.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const outboxFiles = async () =>
    (await readdir(path.join(dataDir, 'outbox'))).filter((n) => n.endsWith('.json'));

  /** Starts an update, holds it after `pulling`, cuts the broker, lets the job finish offline. */
  async function finishJobWhileBrokerIsDown(agent: Agent) {
    agent.runner.hold();
    const command = updateCommandFor(address);
    await service.send('update', command);
    await service.until('pulling', () =>
      service.reportsOf(command.jobId).some((r) => r.phase === 'pulling'),
    );
    await broker.stop();
    agent.runner.open();
    await agent.runner.whenIdle();
    return command;
  }

  it('keeps the reports made while the broker was down and sends them in order when it is back', async () => {
    const agent = await start();
    const command = await finishJobWhileBrokerIsDown(agent);
    expect(await outboxFiles()).toHaveLength(5);

    await broker.start();
    await service.until('committed', () =>
      service.reportsOf(command.jobId).some((r) => r.phase === 'committed'),
    );
    expect(firstArrivals(command.jobId).map((r) => [r.seq, r.phase])).toEqual(
      HAPPY_PHASES.map((phase, i) => [i + 1, phase]),
    );
    await agent.reporter.flushed();
    expect(await outboxFiles()).toEqual([]);
  });

  it('sends what a power cut left in the outbox when the agent starts again', async () => {
    const first = await start();
    const command = await finishJobWhileBrokerIsDown(first);
    await first.link.abort(); // the process dies; only the disk remains
    agents.shift();

    await broker.start();
    const second = await start();
    await service.until('committed', () =>
      service.reportsOf(command.jobId).some((r) => r.phase === 'committed'),
    );
    expect(firstArrivals(command.jobId).map((r) => [r.seq, r.phase])).toEqual(
      HAPPY_PHASES.map((phase, i) => [i + 1, phase]),
    );
    // And the restarted agent still knows the job: a redelivery runs nothing.
    const before = service.reportsOf(command.jobId).length;
    await service.send('update', command);
    await service.until(
      'the last report again',
      () => service.reportsOf(command.jobId).length === before + 1,
    );
    expect(service.reportsOf(command.jobId).at(-1)).toMatchObject({
      seq: HAPPY_PHASES.length,
      phase: 'committed',
    });
    expect(second.runner.started).toEqual([]);
  });
});
