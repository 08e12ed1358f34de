import { BROKERS } from './harness/brokers';
import { eventTypes, historyProblems, reportedPhases } from './harness/event-history';
import { FleetStack, SCENARIO_TIMEOUT_MS, STACK_TIMEOUT_MS } from './harness/fleet-stack';
import type { DeviceUnderTest } from './harness/edge-agent';
import { PullGate } from './harness/pull-gate';
import { eventually } from './harness/free-port';

jest.setTimeout(SCENARIO_TIMEOUT_MS);

/** What a device may report for a job it stopped before the swap: nothing past `pulled`. */
const BEFORE_THE_SWAP = ['received', 'pulling', 'pulled', 'cancelled', 'rejected'];

/**
 * An administrator cancels an update, on aedes and on Mosquitto: the cancel reaches the
 * device (commands/cancel), the device never swaps, the job stays Cancelled, and the client is
 * free for the next update.
 */
describe.each(BROKERS)('cancelling an update on %s', (kind) => {
  let stack: FleetStack;

  beforeAll(async () => {
    stack = await FleetStack.start(kind, 'cancel');
  }, STACK_TIMEOUT_MS);

  afterAll(async () => {
    await stack?.close();
  }, STACK_TIMEOUT_MS);

  const requestUpdateTo2 = (device: DeviceUnderTest) =>
    stack.api.requestUpdate(device.address.clientId, '2.0.0', device.workload.image('2.0.0'));

  /**
   * The device confirmed the cancel and changed nothing: 1.0.0 still runs, the job is still
   * Cancelled, its history holds each report once and none past the swap, and the client
   * reports 1.0.0 with no job in flight.
   */
  async function expectCancelledOnDevice(device: DeviceUnderTest, jobId: string) {
    const events = await stack.api.waitForEvent(jobId, 'CancelAcknowledged');
    expect((await stack.api.getJob(jobId)).status).toBe('Cancelled');
    expect(await device.runningImage()).toBe(device.workload.image('1.0.0'));
    expect(await device.workloadFile('version')).toBe('1.0.0');

    const types = eventTypes(events);
    expect(types.filter((t) => t === 'UpdateCancelled')).toHaveLength(1);
    expect(types.filter((t) => t === 'CancelAcknowledged')).toHaveLength(1);
    expect(types).not.toContain('UpdateSucceeded');
    const phases = reportedPhases(events);
    expect(phases.filter((p) => !BEFORE_THE_SWAP.includes(p))).toEqual([]);
    expect(['cancelled', 'rejected']).toContain(phases.at(-1));
    expect(historyProblems(events, await device.lastReportSeq(jobId))).toEqual([]);

    const client = await stack.api.getClient(device.address.clientId);
    expect(client.version.reported).toBe('1.0.0');
    expect(client.updateJobId).toBeUndefined();
    expect(client.status).not.toBe('Updating');
    return events;
  }

  /** The next update of the same client goes through: the cancelled job holds nothing back. */
  async function expectNextUpdateSucceeds(device: DeviceUnderTest) {
    const jobId = await requestUpdateTo2(device);
    expect((await stack.api.waitForJob(jobId)).status).toBe('Succeeded');
    expect(await device.runningImage()).toBe(device.workload.image('2.0.0'));
    expect((await stack.api.getClient(device.address.clientId)).version.reported).toBe('2.0.0');
  }

  it('never runs an update that was cancelled while the device was offline', () =>
    stack.scenario(async () => {
      const device = await stack.addDevice();
      await device.process.stop();

      // The command leaves for the broker, which keeps it in the device's session.
      const jobId = await requestUpdateTo2(device);
      await stack.api.waitForStatus(jobId, ['Dispatched']);
      expect(await stack.api.cancelJob(jobId, 'wrong maintenance window')).toEqual({
        jobId,
        status: 'Cancelled',
      });
      expect((await stack.api.getJob(jobId)).status).toBe('Cancelled');

      // Back online, the device gets the update and its cancel, in that order.
      await device.start();
      await expectCancelledOnDevice(device, jobId);
      await expectNextUpdateSucceeds(device);
    }));

  it('stops an update cancelled while the device is still downloading the new version', () =>
    stack.scenario(async () => {
      // The engine holds the download until the test lets it go: a slow pull, without sleeps.
      const pulls = await PullGate.start();
      try {
        const device = await stack.addDevice({
          agentEnv: { EDGE_AGENT_DOCKER_HOST: pulls.dockerHost },
        });
        const jobId = await requestUpdateTo2(device);
        await stack.api.waitForPhase(jobId, ['pulling']);
        await pulls.waitForHeldPull();
        expect(await stack.api.getJob(jobId)).toMatchObject({
          status: 'InProgress',
          phase: 'pulling',
        });

        expect(await stack.api.cancelJob(jobId, 'download too slow')).toEqual({
          jobId,
          status: 'Cancelled',
        });
        const events = await expectCancelledOnDevice(device, jobId);
        expect(reportedPhases(events)).toEqual(expect.arrayContaining(['pulling', 'cancelled']));
        // The agent ended its download request: the engine is not left pulling for nothing.
        await eventually('the held pull closed by the agent', async () =>
          pulls.pullsHeldNow === 0 ? true : undefined,
        );

        pulls.open();
        await expectNextUpdateSucceeds(device);
      } finally {
        await pulls.close();
      }
    }));
});
