import type { TestDatabase } from '@opcfleet/event-store/testing/test-database';
import { DataSource } from 'typeorm';
import { SimulatedDevice } from '../../../../test/e2e/harness/simulated-device';
import { READ_MODEL_SCHEMA } from '../../src/read-models/read-model.entities';
import { TEST_BROKERS, uniqueTestId, type TestBroker } from '../support/brokers';
import { LossyMqttProxy } from '../support/lossy-mqtt-proxy';
import { eventually } from '../support/memory-logger';
import { createServiceDatabase, ServiceStack, type StackJob } from '../support/service-stack';

jest.setTimeout(90_000);

const DEVICES = 20;

/**
 * A broker that sheds load drops reports on their way to the service after telling the device
 * they were delivered. Every job must still end, with the device and the cloud agreeing, in
 * seconds: the service nudges a quiet job, and the device sends its last report again.
 */
describe.each(TEST_BROKERS)('a broker that drops a third of the reports (%s)', (name, start) => {
  let database: TestDatabase;
  let broker: TestBroker;
  let proxy: LossyMqttProxy;
  let service: ServiceStack;
  const devices: SimulatedDevice[] = [];

  beforeAll(async () => {
    database = await createServiceDatabase();
    broker = await start();
    proxy = await LossyMqttProxy.start(broker.url, {
      topic: (topic) => topic.endsWith('/status'),
      every: 3,
    });
    service = await ServiceStack.start({
      databaseUrl: database.url,
      mqttUrl: proxy.url,
      mqttClientId: uniqueTestId('svc'),
      env: { JOB_NUDGE_AFTER_SECONDS: '1', JOB_TIMEOUT_SWEEP_SECONDS: '0.2' },
    });
  });
  afterAll(async () => {
    await Promise.all(devices.map((device) => device.close()));
    await service?.stop();
    await proxy?.close();
    await broker?.close();
    await database?.drop();
  });

  it('ends every job, the device and the cloud agreeing, without waiting for a time-out', async () => {
    const tenantId = uniqueTestId('t');
    for (let i = 0; i < DEVICES; i++) {
      const clientId = `press-${i}`;
      await service.registerClient(tenantId, clientId);
      const device = new SimulatedDevice({
        url: broker.url,
        protocolVersion: name === 'mosquitto' ? 5 : 4,
        address: { tenantId, clientId },
        phaseDelayMs: 5,
      });
      await device.connect();
      devices.push(device);
    }
    await eventually(() => service.logsWith('presence recorded').length >= DEVICES, 20_000);

    const jobs: StackJob[] = [];
    for (const device of devices) {
      jobs.push(await service.requestUpdate(tenantId, device.address.clientId, '2.0.0'));
    }
    const finalOf = async (job: StackJob) =>
      (await service.jobEventTypes(job)).find((type) =>
        ['UpdateSucceeded', 'UpdateFailed', 'UpdateRolledBack', 'UpdateTimedOut'].includes(type),
      );
    await eventually(
      async () => (await Promise.all(jobs.map(finalOf))).every((type) => type !== undefined),
      60_000,
    );

    // The broker really lost reports, and the service really went and asked.
    expect(proxy.dropped).toBeGreaterThan(0);
    expect(service.logsWith('quiet job nudged: its command sent again').length).toBeGreaterThan(0);
    for (const [i, job] of jobs.entries()) {
      expect(await finalOf(job)).toBe('UpdateSucceeded');
      const types = await service.jobEventTypes(job);
      expect(types.filter((type) => type === 'UpdateCommandDispatched')).toHaveLength(1);
      expect(types.filter((type) => type === 'UpdateSucceeded')).toHaveLength(1);
      expect(devices[i].runningVersion).toBe('2.0.0');
    }
    const rows: Array<{ reported_version: string; status: string }> = await service.app
      .get(DataSource)
      .query(
        `SELECT reported_version, status FROM ${READ_MODEL_SCHEMA}.clients WHERE tenant_id = $1`,
        [tenantId],
      );
    expect(rows).toHaveLength(DEVICES);
    expect(rows.every((row) => row.reported_version === '2.0.0' && row.status === 'Online')).toBe(
      true,
    );
    expect(service.logsWith('job report deadline passed')).toEqual([]);
  });
});
