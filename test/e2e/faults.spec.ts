import { clientTopic } from '@opcfleet/contracts';
import { BROKERS } from './harness/brokers';
import { sleep } from './harness/free-port';
import { eventTypes, historyProblems } from './harness/event-history';
import { FleetStack, SCENARIO_TIMEOUT_MS, STACK_TIMEOUT_MS } from './harness/fleet-stack';
import type { DeviceUnderTest } from './harness/edge-agent';
import { connectWithCertificate, recordMessages } from './harness/mqtt-clients';

jest.setTimeout(SCENARIO_TIMEOUT_MS);

/** Phases during which the old container is being replaced by the new one. */
const MID_SWAP = ['stopping_old', 'starting_new', 'verifying'];
const AFTER_RECEIPT = ['received', 'pulling', 'pulled', ...MID_SWAP];

/**
 * Faults while an update is under way, on aedes and on Mosquitto: every part is a real
 * process that the test kills with -9 and starts again. Each scenario ends with the job final,
 * one workload container running the version the job claims, and an exact event history.
 */
describe.each(BROKERS)('updates under faults on %s', (kind) => {
  let stack: FleetStack;

  beforeAll(async () => {
    stack = await FleetStack.start(kind, 'faults');
  }, STACK_TIMEOUT_MS);

  afterAll(async () => {
    await stack?.close();
  }, STACK_TIMEOUT_MS);

  /** The job ended as `status`, the engine runs what that status means, the history is exact. */
  async function expectConverged(device: DeviceUnderTest, jobId: string, status = 'Succeeded') {
    const job = await stack.api.waitForJob(jobId);
    expect(job.status).toBe(status);
    const tag = status === 'Succeeded' ? '2.0.0' : '1.0.0';
    expect(await device.runningImage()).toBe(device.workload.image(tag));
    expect(await device.workloadFile('version')).toBe(tag);
    const events = await stack.api.jobEvents(jobId);
    expect(historyProblems(events, await device.lastReportSeq(jobId))).toEqual([]);
    return { job, events };
  }

  /** Requests the update every scenario here drives: the device's workload to 2.0.0. */
  const requestUpdateTo2 = (device: DeviceUnderTest) =>
    stack.api.requestUpdate(device.address.clientId, '2.0.0', device.workload.image('2.0.0'));

  /** A part of the system restarts while the device is inside the update: the job still ends right. */
  async function expectUpdateSurvivesRestart(
    part: { process: { starts: number } },
    restart: () => Promise<void>,
  ) {
    const device = await stack.addDevice();
    const jobId = await requestUpdateTo2(device);
    const seen = await stack.api.waitForPhase(jobId, AFTER_RECEIPT);
    expect(seen).toMatchObject({ status: 'InProgress' });

    const starts = part.process.starts;
    await restart();
    expect(part.process.starts).toBe(starts + 1);

    await expectConverged(device, jobId);
  }

  it('carries out an update requested while the client was offline, once it comes online', () =>
    stack.scenario(async () => {
      const device = await stack.addDevice({ start: false });
      const jobId = await requestUpdateTo2(device);
      await sleep(2_000);
      const waiting = await stack.api.getJob(jobId);
      expect(waiting.status).toMatch(/^(Requested|Dispatched)$/);
      expect(waiting.phase).toBeUndefined();

      await device.start();
      const { events } = await expectConverged(device, jobId);
      expect(eventTypes(events)).toContain('UpdateCommandDispatched');
    }));

  it('finishes an update when the broker crashes and restarts in the middle of it', () =>
    stack.scenario(() => expectUpdateSurvivesRestart(stack.broker, () => stack.broker.restart())));

  it('finishes an update when the service is killed with -9 and restarted in the middle of it', () =>
    stack.scenario(() =>
      expectUpdateSurvivesRestart(stack.service, () => stack.service.restartAfterKill()),
    ));

  it('converges when the agent is killed with -9 mid-swap and restarted', () =>
    stack.scenario(async () => {
      const device = await stack.addDevice();
      const jobId = await requestUpdateTo2(device);
      const seen = await stack.api.waitForPhase(jobId, MID_SWAP);
      expect(seen).toMatchObject({ status: 'InProgress' });

      await device.process.kill9();
      await device.start();

      // Finishing the update and rolling back are both correct; half-done is not.
      const job = await stack.api.waitForJob(jobId);
      expect(['Succeeded', 'RolledBack']).toContain(job.status);
      await expectConverged(device, jobId, job.status);
      expect((await device.containers()).filter((c) => c.State === 'running')).toHaveLength(1);
    }));

  it('runs a command delivered twice only once', () =>
    stack.scenario(async () => {
      const device = await stack.addDevice();
      // Listen as the service account, to resend the very bytes the dispatcher published.
      const service = await connectWithCertificate(
        stack.broker,
        stack.broker.serviceTls,
        'resender',
      );
      try {
        const commands = await recordMessages(
          service,
          clientTopic(device.address, 'commands/update'),
        );
        const jobId = await requestUpdateTo2(device);
        await expectConverged(device, jobId);
        expect(commands.messages.length).toBeGreaterThanOrEqual(1);
        const containerId = (await device.containers()).find((c) => c.State === 'running')!.Id;
        const eventsBefore = await stack.api.jobEvents(jobId);

        const { topic, payload } = commands.messages[0];
        await service.publishAsync(topic, payload, { qos: 1 });
        await sleep(3_000);

        expect((await device.containers()).find((c) => c.State === 'running')!.Id).toBe(
          containerId,
        );
        const eventsAfter = await stack.api.jobEvents(jobId);
        expect(eventTypes(eventsAfter).filter((t) => t === 'UpdateReceived')).toHaveLength(1);
        expect(eventTypes(eventsAfter).filter((t) => t === 'UpdateSucceeded')).toHaveLength(1);
        expect(historyProblems(eventsAfter, await device.lastReportSeq(jobId))).toEqual([]);
        // The agent answers the duplicate with its last report again; the service knows that seq.
        expect(eventTypes(eventsAfter)).toEqual(eventTypes(eventsBefore));
        expect((await stack.api.getJob(jobId)).status).toBe('Succeeded');
      } finally {
        await service.endAsync();
      }
    }));
});
