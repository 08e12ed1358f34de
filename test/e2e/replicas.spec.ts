import { ApiClient } from './harness/api-client';
import { BROKERS } from './harness/brokers';
import { E2E_JWT_SECRET } from './harness/device-management';
import { eventTypes, historyProblems } from './harness/event-history';
import { FleetStack, SCENARIO_TIMEOUT_MS, STACK_TIMEOUT_MS } from './harness/fleet-stack';
import type { DeviceUnderTest } from './harness/edge-agent';

jest.setTimeout(SCENARIO_TIMEOUT_MS * 2);

/**
 * Two device-management replicas on one database and one broker. On Mosquitto they share the
 * status subscription (MQTT 5 `$share`); aedes speaks 3.1.1, so there both replicas receive
 * every report and ingestion must stay idempotent. Either way: each job dispatched once, each
 * report in the stream once, and a replica killed mid-flow loses nothing.
 */
describe.each(BROKERS)('two service replicas on %s', (kind) => {
  let stack: FleetStack;

  beforeAll(async () => {
    stack = await FleetStack.start(kind, 'replicas');
  }, STACK_TIMEOUT_MS);

  afterAll(async () => {
    await stack?.close();
  }, STACK_TIMEOUT_MS);

  async function expectExactHistory(api: ApiClient, device: DeviceUnderTest, jobId: string) {
    const events = await api.jobEvents(jobId);
    expect(historyProblems(events, await device.lastReportSeq(jobId))).toEqual([]);
    return events;
  }

  it('dispatches each job once, ingests each report once, and loses nothing when a replica dies', () =>
    stack.scenario(async () => {
      const replica = await stack.addReplica(kind === 'mosquitto' ? 'device-management' : '');
      const second = await ApiClient.as(replica.baseUrl, E2E_JWT_SECRET, stack.tenantId);
      const devices = [
        await stack.addDevice({ tags: ['2.0.0'] }),
        await stack.addDevice({ tags: ['2.0.0'] }),
      ];

      // Both replicas take requests; the jobs run once each.
      const apis = [stack.api, second];
      const firstJobs = await Promise.all(
        devices.map((d, i) =>
          apis[i].requestUpdate(d.address.clientId, '2.0.0', d.workload.image('2.0.0')),
        ),
      );
      for (const [i, jobId] of firstJobs.entries()) {
        expect(await apis[1 - i].waitForJob(jobId)).toMatchObject({ status: 'Succeeded' });
        const events = await expectExactHistory(second, devices[i], jobId);
        expect(eventTypes(events).filter((t) => t === 'UpdateCommandDispatched')).toHaveLength(1);
        expect(await devices[i].runningImage()).toBe(devices[i].workload.image('2.0.0'));
      }

      // Back to 1.0.0, and the first replica is killed while the jobs are under way.
      const secondJobs = await Promise.all(
        devices.map((d) =>
          second.requestUpdate(d.address.clientId, '1.0.0', d.workload.image('1.0.0')),
        ),
      );
      const seen = await second.waitForPhase(secondJobs[0], [
        'received',
        'pulling',
        'pulled',
        'stopping_old',
        'starting_new',
      ]);
      expect(seen).toMatchObject({ status: 'InProgress' });
      await stack.service.process.kill9();

      for (const [i, jobId] of secondJobs.entries()) {
        expect(await second.waitForJob(jobId)).toMatchObject({ status: 'Succeeded' });
        const events = await expectExactHistory(second, devices[i], jobId);
        expect(
          eventTypes(events).filter((t) => t === 'UpdateCommandDispatched').length,
        ).toBeGreaterThanOrEqual(1);
        expect(await devices[i].runningImage()).toBe(devices[i].workload.image('1.0.0'));
        const client = await second.getClient(devices[i].address.clientId);
        expect(client.version.reported).toBe('1.0.0');
      }
      expect(replica.process.running).toBe(true);
    }));
});
