import { UPDATE_PHASES } from '@opcfleet/contracts';
import type { TestDatabase } from '@opcfleet/event-store/testing/test-database';
import { TEST_BROKERS, uniqueTestId, type TestBroker } from '../support/brokers';
import { eventually } from '../support/memory-logger';
import { createServiceDatabase, ServiceStack } from '../support/service-stack';
import { TestDevice } from '../support/test-device';
import { clientStream } from '../../src/shared/domain/stream-names';

jest.setTimeout(30_000);

const HAPPY_PHASES = ['received', 'pulling', 'pulled', 'stopping_old', 'starting_new', 'verifying'];

describe.each(TEST_BROKERS)('update jobs over MQTT with %s', (brokerName, startBroker) => {
  let database: TestDatabase;
  let broker: TestBroker;
  let service: ServiceStack;
  let serviceMqttId: string;
  let tenantId: string;
  let device: TestDevice;

  const startService = async (env: Record<string, string> = {}) =>
    ServiceStack.start({
      databaseUrl: database.url,
      mqttUrl: broker.url,
      mqttClientId: serviceMqttId,
      env,
    });

  beforeAll(async () => {
    database = await createServiceDatabase();
  });
  afterAll(async () => {
    await database.drop();
  });

  beforeEach(async () => {
    broker = await startBroker();
    serviceMqttId = uniqueTestId('svc');
    tenantId = uniqueTestId('t');
    service = await startService();
    device = new TestDevice(broker.url, tenantId, 'line-1', brokerName === 'mosquitto' ? 5 : 4);
    await device.connect();
    await service.registerClient(tenantId, 'line-1');
  });

  afterEach(async () => {
    await device.disconnect();
    await service.stop();
    await broker.close();
  });

  it('delivers the command once and records the whole update from the reports', async () => {
    const job = await service.requestUpdate(tenantId, 'line-1', '2.1.0');
    const [received] = await eventually(
      () => device.commandsFor(job.jobId).length > 0 && device.commandsFor(job.jobId),
    );
    expect(received.topic).toBe(`tenants/${tenantId}/clients/line-1/commands/update`);
    expect(received.command).toMatchObject({
      jobId: job.jobId,
      tenantId,
      clientId: 'line-1',
      correlationId: job.correlationId,
      payload: { targetVersion: '2.1.0', image: 'registry.example.com/opc-core:2.1.0' },
    });
    if (brokerName === 'mosquitto') {
      expect(received.properties?.correlationData?.toString()).toBe(job.correlationId);
      expect(received.properties?.messageExpiryInterval).toBeGreaterThan(0);
    }
    await eventually(async () =>
      (await service.jobEventTypes(job)).includes('UpdateCommandDispatched'),
    );

    let seq = 0;
    for (const phase of HAPPY_PHASES) await device.report({ ...job, kind: 'update' }, ++seq, phase);
    await device.report({ ...job, kind: 'update' }, ++seq, 'committed', { version: '2.1.0' });

    await eventually(async () => (await service.jobEventTypes(job)).includes('UpdateSucceeded'));
    // The command asked for report acks, and the service acked every report it now holds.
    expect(received.command).toMatchObject({ reportAcks: 'v1' });
    // (A report the device's client sent twice, say after a reconnect, is acked twice. Suites
    // running beside this one share the broker: their services, on other databases, hear the
    // report too and ack it refused. This service's ack is the stored one.)
    const storedAckOf = (n: number) =>
      device.acks.find((ack) => ack.seq === n && ack.outcome === 'stored');
    await eventually(() =>
      Array.from({ length: seq }, (_, i) => storedAckOf(i + 1)).every(Boolean),
    );
    expect(
      Array.from({ length: seq }, (_, i) => storedAckOf(i + 1)!).map((ack) => ack.jobId),
    ).toEqual(Array.from({ length: seq }, () => job.jobId));
    const types = await service.jobEventTypes(job);
    expect(types[0]).toBe('UpdateRequested');
    expect(types.filter((type) => type === 'UpdateCommandDispatched')).toHaveLength(1);
    expect(types.at(-1)).toBe('UpdateSucceeded');
    expect(device.commandsFor(job.jobId)).toHaveLength(1);
    // The client stream is settled right after the job's final event.
    await eventually(async () =>
      (await service.store.readStream(clientStream(tenantId, 'line-1'))).some(
        (event) => event.type === 'ClientUpdateEnded',
      ),
    );
    // Every dispatch and ingestion log line of this job carries its correlation id.
    const jobLines = service.logs.filter((line) => line.jobId === job.jobId);
    expect(jobLines.length).toBeGreaterThan(HAPPY_PHASES.length);
    expect(jobLines.every((line) => line.correlationId === job.correlationId)).toBe(true);
  });

  it('dispatches a burst of jobs each exactly once, and a restart sends none again', async () => {
    const fleet = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        await service.registerClient(tenantId, `burst-${i}`);
        const burstDevice = new TestDevice(
          broker.url,
          tenantId,
          `burst-${i}`,
          brokerName === 'mosquitto' ? 5 : 4,
        );
        await burstDevice.connect();
        return burstDevice;
      }),
    );
    try {
      const jobs = await Promise.all(
        fleet.map((burstDevice) => service.requestUpdate(tenantId, burstDevice.clientId)),
      );
      for (const job of jobs) {
        await eventually(async () =>
          (await service.jobEventTypes(job)).includes('UpdateCommandDispatched'),
        );
      }
      await service.stop();
      service = await startService();
      await new Promise((resolve) => setTimeout(resolve, 500));
      for (const [i, job] of jobs.entries()) {
        expect(fleet[i].commandsFor(job.jobId)).toHaveLength(1);
        const types = await service.jobEventTypes(job);
        expect(types).toEqual(['UpdateRequested', 'UpdateCommandDispatched']);
      }
    } finally {
      await Promise.all(fleet.map((burstDevice) => burstDevice.disconnect()));
    }
  });

  it('records a failure the device reports, with its reason', async () => {
    const job = await service.requestUpdate(tenantId, 'line-1');
    await eventually(() => device.commandsFor(job.jobId).length > 0);
    await device.report({ ...job, kind: 'update' }, 1, 'received');
    await device.report({ ...job, kind: 'update' }, 2, 'failed', {
      error: { code: 'pull_failed', message: 'manifest unknown' },
    });
    const failed = await eventually(async () =>
      (await service.jobEvents(job)).find((event) => event.type === 'UpdateFailed'),
    );
    expect(failed.data).toMatchObject({ code: 'pull_failed', reason: 'manifest unknown' });
  });

  it('applies each report once whatever the order and the duplicates', async () => {
    const job = await service.requestUpdate(tenantId, 'line-1');
    await eventually(() => device.commandsFor(job.jobId).length > 0);
    const report = (seq: number, phase: string) =>
      device.report({ ...job, kind: 'update' }, seq, phase);
    await report(2, 'pulling');
    await report(1, 'received');
    await report(2, 'pulling');
    await report(1, 'received');
    await report(3, 'pulled');
    await eventually(async () => {
      const events = await service.jobEvents(job);
      return events.filter((event) => (event.data as { seq?: number }).seq === 3).length === 1;
    });
    // Let any duplicate in flight land before counting.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const events = await service.jobEvents(job);
    const seqs = events
      .map((event) => (event.data as { seq?: number }).seq)
      .filter((seq): seq is number => seq !== undefined);
    expect([...seqs].sort()).toEqual([1, 2, 3]);
    const outcomes = service
      .logsWith('status report ingested')
      .filter((line) => line.jobId === job.jobId)
      .map((line) => line.outcome);
    expect(outcomes.filter((outcome) => outcome === 'duplicate')).toHaveLength(2);
  });

  it('refuses a report for this job published on another client topic, and survives garbage', async () => {
    const job = await service.requestUpdate(tenantId, 'line-1');
    await eventually(async () =>
      (await service.jobEventTypes(job)).includes('UpdateCommandDispatched'),
    );
    const intruder = new TestDevice(
      broker.url,
      tenantId,
      'line-2',
      brokerName === 'mosquitto' ? 5 : 4,
    );
    await intruder.connect();
    try {
      // Body names line-2 (the topic's client), job is line-1's: the domain rejects it.
      await intruder.report({ ...job, kind: 'update' }, 1, 'received');
      // Body names line-1 but arrives on line-2's topic: dropped before the domain.
      await device.report(
        { ...job, kind: 'update' },
        2,
        'pulling',
        {},
        `tenants/${tenantId}/clients/line-2/status`,
      );
      await intruder.publishRaw(`tenants/${tenantId}/clients/line-2/status`, 'not json {');
      await intruder.publishRaw(
        `tenants/${tenantId}/clients/line-2/status`,
        Buffer.alloc(300 * 1024, 'x'),
      );
      await intruder.publishRaw(
        `tenants/${tenantId}/clients/line-2/status`,
        JSON.stringify({ schema: 'opcfleet.status/v1' }),
      );
      await intruder.publishRaw(`tenants/${tenantId}/clients/bad id/status`, '{}');
      const ours = () =>
        service
          .logsWith('status message dropped')
          .filter((line) => String(line.topic).includes(tenantId));
      await eventually(() => ours().length >= 5);
      // Mosquitto is shared: other suites' reports reach this service too, so filter by job.
      const rejected = await eventually(() =>
        service.logsWith('status report rejected').find((line) => line.jobId === job.jobId),
      );
      expect(rejected).toMatchObject({ reason: 'topic_mismatch' });
      const reasons = ours().map((line) => line.reason);
      expect(reasons).toEqual(expect.arrayContaining(['topic_mismatch', 'malformed']));
      // Still alive: the real device's report goes through.
      await device.report({ ...job, kind: 'update' }, 3, 'received');
      await eventually(async () => (await service.jobEventTypes(job)).includes('UpdateReceived'));
      const types = await service.jobEventTypes(job);
      expect(types).toEqual(['UpdateRequested', 'UpdateCommandDispatched', 'UpdateReceived']);
    } finally {
      await intruder.disconnect();
    }
  });

  it('resumes after a restart mid-job without sending the command again', async () => {
    const job = await service.requestUpdate(tenantId, 'line-1');
    await eventually(async () =>
      (await service.jobEventTypes(job)).includes('UpdateCommandDispatched'),
    );
    await device.report({ ...job, kind: 'update' }, 1, 'received');
    await eventually(async () => (await service.jobEventTypes(job)).includes('UpdateReceived'));
    await service.stop();
    // Reports sent while the service is down wait in the broker (persistent session).
    await device.report({ ...job, kind: 'update' }, 2, 'pulling');
    service = await startService();
    await device.report({ ...job, kind: 'update' }, 3, 'committed', { version: '2.0.0' });
    await eventually(async () => (await service.jobEventTypes(job)).includes('UpdateSucceeded'));
    expect(await service.jobEventTypes(job)).toEqual([
      'UpdateRequested',
      'UpdateCommandDispatched',
      'UpdateReceived',
      'UpdatePhaseReported',
      'UpdateSucceeded',
    ]);
    expect(device.commandsFor(job.jobId)).toHaveLength(1);
  });

  it('keeps the command while the broker is down and sends it once it is back', async () => {
    await broker.cut();
    await eventually(() => service.brokerHealth.check().status === 'down');
    const job = await service.requestUpdate(tenantId, 'line-1');
    await eventually(() => service.logsWith('broker unavailable, will retry').length >= 2);
    expect(await service.jobEventTypes(job)).toEqual(['UpdateRequested']);
    await broker.restore();
    await eventually(() => device.commandsFor(job.jobId).length > 0, 15_000);
    await eventually(async () =>
      (await service.jobEventTypes(job)).includes('UpdateCommandDispatched'),
    );
    expect(service.brokerHealth.check().status).toBe('up');
  });

  it('sends a quiet job’s command again once its device is online, with the same message id', async () => {
    await service.stop();
    service = await startService({
      JOB_NUDGE_AFTER_SECONDS: '1',
      JOB_TIMEOUT_SWEEP_SECONDS: '0.2',
    });
    // The device is away with no session: the first delivery is lost.
    await device.disconnect();
    const offline = new TestDevice(
      broker.url,
      tenantId,
      'line-1',
      brokerName === 'mosquitto' ? 5 : 4,
    );
    const job = await service.requestUpdate(tenantId, 'line-1');
    await eventually(async () =>
      (await service.jobEventTypes(job)).includes('UpdateCommandDispatched'),
    );
    await offline.connect();
    try {
      expect(offline.commandsFor(job.jobId)).toHaveLength(0);
      await offline.presence('online');
      const [again] = await eventually(
        () => offline.commandsFor(job.jobId).length > 0 && offline.commandsFor(job.jobId),
      );
      const first = service.logsWith('command published and acknowledged')[0];
      expect(again.command.messageId).toBe(first.messageId);
      // Logged once the broker acknowledged the publish: the device may have it before that.
      await eventually(
        () => service.logsWith('quiet job nudged: its command sent again').length > 0,
      );
      expect(service.logsWith('quiet job nudged: its command sent again')).toHaveLength(1);
      // The device answers: the job is alive, and the next nudge waits for it to go quiet again.
      await offline.report({ ...job, kind: 'update' }, 1, 'received');
      await eventually(async () => (await service.jobEventTypes(job)).includes('UpdateReceived'));
      const [secondNudge] = await eventually(
        () => offline.commandsFor(job.jobId).length > 1 && offline.commandsFor(job.jobId).slice(1),
      );
      expect(secondNudge.command.messageId).toBe(first.messageId);
      // The dispatch was recorded once, whatever the nudges.
      expect(
        (await service.jobEventTypes(job)).filter((type) => type === 'UpdateCommandDispatched'),
      ).toHaveLength(1);
    } finally {
      await offline.disconnect();
      await device.connect();
    }
  });

  it('sends the open jobs of a device back on a new broker session at once, not after the nudge interval', async () => {
    await service.stop();
    // Nudges far away: only the new session can bring the command back within the test.
    service = await startService({
      JOB_NUDGE_AFTER_SECONDS: '600',
      JOB_TIMEOUT_SWEEP_SECONDS: '0.2',
    });
    await device.presence('online');
    const presenceEvents = async () =>
      (await service.store.readStream(clientStream(tenantId, 'line-1'))).filter(
        (event) => event.type === 'ClientPresenceChanged',
      );
    await eventually(async () => (await presenceEvents()).length === 1);
    // The device goes away without a will, so the service still thinks it online, and its
    // broker session is gone: the command sent meanwhile is lost with it.
    await device.disconnect();
    const job = await service.requestUpdate(tenantId, 'line-1');
    await eventually(async () =>
      (await service.jobEventTypes(job)).includes('UpdateCommandDispatched'),
    );
    const fresh = new TestDevice(
      broker.url,
      tenantId,
      'line-1',
      brokerName === 'mosquitto' ? 5 : 4,
    );
    await fresh.connect();
    try {
      expect(fresh.commandsFor(job.jobId)).toHaveLength(0);
      await fresh.presence('online', false, { sessionResumed: false });
      const [again] = await eventually(
        () => fresh.commandsFor(job.jobId).length > 0 && fresh.commandsFor(job.jobId),
      );
      expect(again.command.jobId).toBe(job.jobId);
      // Online while online: recorded all the same, as the new session it was.
      expect((await presenceEvents()).map((event) => event.data)).toEqual([
        expect.objectContaining({ status: 'online' }),
        expect.objectContaining({ status: 'online', sessionResumed: false }),
      ]);
      expect(service.logsWith('quiet job nudged: its command sent again')).toHaveLength(1);
    } finally {
      await fresh.disconnect();
      await device.connect();
    }
  });

  it('times out a job that gets no report', async () => {
    await service.stop();
    service = await startService({
      JOB_REPORT_TIMEOUT_SECONDS: '1',
      JOB_TIMEOUT_SWEEP_SECONDS: '0.2',
    });
    const job = await service.requestUpdate(tenantId, 'line-1');
    await eventually(async () => (await service.jobEventTypes(job)).includes('UpdateTimedOut'));
    expect(UPDATE_PHASES).toContain('received');
  });
});
