import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BROKERS } from './harness/brokers';
import { eventTypes, historyProblems } from './harness/event-history';
import { FleetStack, SCENARIO_TIMEOUT_MS, STACK_TIMEOUT_MS } from './harness/fleet-stack';
import { opcConfig } from './harness/opc-config';

jest.setTimeout(SCENARIO_TIMEOUT_MS);

/**
 * The core flows, driven through the REST API against the real processes, on aedes and on
 * Mosquitto: what runs on the engine, what the read models say, and the job's event history
 * compared with what the device reported.
 */
describe.each(BROKERS)('update and config end to end on %s', (kind) => {
  let stack: FleetStack;

  beforeAll(async () => {
    stack = await FleetStack.start(kind, 'core');
  }, STACK_TIMEOUT_MS);

  afterAll(async () => {
    await stack?.close();
  }, STACK_TIMEOUT_MS);

  it('updates a client: the new version runs, the read models and the history agree', () =>
    stack.scenario(async () => {
      const device = await stack.addDevice({ tags: ['2.0.0'] });
      const { clientId } = device.address;
      const image = device.workload.image('2.0.0');

      const jobId = await stack.api.requestUpdate(clientId, '2.0.0', image);
      const job = await stack.api.waitForJob(jobId);

      expect(job).toMatchObject({
        status: 'Succeeded',
        targetVersion: '2.0.0',
        reportedVersion: '2.0.0',
      });
      expect(await device.runningImage()).toBe(image);
      expect(await device.workloadFile('version')).toBe('2.0.0');
      const client = await stack.api.getClient(clientId);
      expect(client).toMatchObject({ status: 'Online', version: { reported: '2.0.0' } });
      expect(client.updateJobId).toBeUndefined();

      const events = await stack.api.jobEvents(jobId);
      expect(eventTypes(events)).toEqual(
        expect.arrayContaining([
          'UpdateRequested',
          'UpdateCommandDispatched',
          'UpdateReceived',
          'UpdateSucceeded',
        ]),
      );
      expect(eventTypes(events).filter((t) => t === 'UpdateSucceeded')).toHaveLength(1);
      expect(historyProblems(events, await device.lastReportSeq(jobId))).toEqual([]);
    }));

  it('rolls back an update to a version that crashes at start, and the job says why', () =>
    stack.scenario(async () => {
      const device = await stack.addDevice({ tags: ['crash-at-start'] });
      const { clientId } = device.address;
      const before = await device.runningImage();

      const jobId = await stack.api.requestUpdate(
        clientId,
        '3.0.0',
        device.workload.image('crash-at-start'),
      );
      const job = await stack.api.waitForJob(jobId);

      expect(job.status).toBe('RolledBack');
      expect(job.rollback?.reason ?? job.failure?.reason).toMatch(/\w+/);
      // Why, from the API alone: what the crashed container printed, and what the agent did.
      expect(job.evidence?.workloadLog).toEqual(
        expect.arrayContaining([expect.stringMatching(/crashing at start on purpose$/)]),
      );
      expect(job.evidence?.agentLog.join('\n')).toMatch(/removing the failed new container/);
      expect(await device.runningImage()).toBe(before);
      expect(await device.workloadFile('version')).toBe('1.0.0');
      const client = await stack.api.getClient(clientId);
      expect(client.version.reported).toBe('1.0.0');
      expect(client.status).not.toBe('Updating');

      const events = await stack.api.jobEvents(jobId);
      expect(eventTypes(events).filter((t) => t === 'UpdateRolledBack')).toHaveLength(1);
      expect(historyProblems(events, await device.lastReportSeq(jobId))).toEqual([]);
    }));

  it('applies a config: the workload loads it without a restart, the client shows it applied', () =>
    stack.scenario(async () => {
      const device = await stack.addDevice({ tags: [] });
      const { clientId } = device.address;
      const containerBefore = (await device.containers()).find((c) => c.State === 'running')!.Id;

      const jobId = await stack.api.requestConfig(clientId, 1, opcConfig(1));
      const job = await stack.api.waitForJob(jobId);

      expect(job).toMatchObject({ status: 'Applied', configVersion: 1 });
      const loaded = JSON.parse((await device.workloadFile('config')) ?? '{}');
      expect(loaded.endpoints?.[0]?.url).toBe('opc.tcp://plc-1.local:4840');
      expect(await device.workloadFile('config-status')).toBe('applied');
      expect((await device.containers()).find((c) => c.State === 'running')!.Id).toBe(
        containerBefore,
      );
      expect((await stack.api.getClient(clientId)).config).toEqual({ desired: 1, applied: 1 });

      const events = await stack.api.jobEvents(jobId);
      expect(eventTypes(events)).toEqual(
        expect.arrayContaining(['ConfigChangeRequested', 'ConfigApplied']),
      );
      expect(historyProblems(events, await device.lastReportSeq(jobId))).toEqual([]);
    }));

  it('rejects a bad config at the API and on the device; the previous config stays in force', () =>
    stack.scenario(async () => {
      const device = await stack.addDevice({ initialTag: 'rejects-config', tags: [] });
      const { clientId } = device.address;
      const configFile = join(device.workload.configDir, 'opc-client.json');
      const previous = await readFile(configFile, 'utf8');

      // Invalid against the schema: 400 with field errors, no job.
      const invalid = opcConfig(1) as { nodes: Array<{ publishingIntervalMs: number }> };
      invalid.nodes[0].publishingIntervalMs = 10;
      const refused = await stack.api.call<{ fieldErrors?: unknown[] }>(
        'POST',
        `/api/v1/clients/${clientId}/config`,
        { version: 1, settings: invalid },
      );
      expect(refused.status).toBe(400);
      expect(JSON.stringify(refused.body)).toContain('publishingIntervalMs');

      // Valid, but the workload refuses to load it: rejected, the previous file restored.
      const jobId = await stack.api.requestConfig(clientId, 1, opcConfig(1));
      const job = await stack.api.waitForJob(jobId);

      expect(job.status).toBe('Rejected');
      expect(job.failure?.reason).toMatch(/\w+/);
      expect(await readFile(configFile, 'utf8')).toBe(previous);
      const client = await stack.api.getClient(clientId);
      expect(client.config.applied).toBeUndefined();
      expect(await device.runningImage()).toBe(device.workload.image('rejects-config'));

      const events = await stack.api.jobEvents(jobId);
      expect(eventTypes(events).filter((t) => t === 'ConfigRejected')).toHaveLength(1);
      expect(historyProblems(events, await device.lastReportSeq(jobId))).toEqual([]);
    }));
});
