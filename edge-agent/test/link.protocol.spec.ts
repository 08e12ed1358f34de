import { presenceTopic } from '@opcfleet/contracts';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import mqtt from 'mqtt';
import { updateCommandFor } from './fixtures/commands';
import { startLinkUnderTest } from './support/link-under-test';
import { startAedesAndService } from './support/aedes-and-service';

const MOSQUITTO_URL = process.env.TEST_MOSQUITTO_URL ?? 'mqtt://127.0.0.1:1884';

/** The agent speaks MQTT 5 by default where the broker does, and 3.1.1 where it does not. */
describe('MQTT protocol of the agent by default', () => {
  let dataDir: string;
  let address: { tenantId: string; clientId: string };
  const closers: Array<() => Promise<unknown>> = [];

  beforeEach(async () => {
    address = { tenantId: `t-${randomUUID().slice(0, 12)}`, clientId: 'press-07' };
    dataDir = await mkdtemp(path.join(tmpdir(), 'link-protocol-'));
  });
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('speaks MQTT 5 to Mosquitto: its presence carries MQTT 5 properties', async () => {
    const watcher = await mqtt.connectAsync(MOSQUITTO_URL, { protocolVersion: 5 });
    closers.push(async () => {
      await watcher.publishAsync(presenceTopic(address), '', { qos: 1, retain: true });
      await watcher.endAsync(true);
    });
    const seen = new Promise<mqtt.IPublishPacket>((resolve) =>
      watcher.on('message', (_topic, _payload, packet) => resolve(packet)),
    );
    await watcher.subscribeAsync(presenceTopic(address), { qos: 1 });
    const agent = await startLinkUnderTest({ url: MOSQUITTO_URL, address, dataDir });
    closers.push(() => agent.link.stop());
    expect(agent.link.protocolVersion()).toBe(5);
    expect((await seen).properties?.contentType).toBe('application/json');
  });

  it('falls back to MQTT 3.1.1 on aedes, which refuses MQTT 5, and carries out a command', async () => {
    const { broker, service, close } = await startAedesAndService(address);
    closers.push(close);
    const agent = await startLinkUnderTest({ url: broker.url, address, dataDir });
    closers.push(() => agent.link.stop());
    expect(agent.link.protocolVersion()).toBe(4);
    const command = updateCommandFor(address);
    await service.send('update', command);
    await service.until('committed', () =>
      service.reportsOf(command.jobId).some((r) => r.phase === 'committed'),
    );
    expect(service.invalid).toEqual([]);
  });
});
