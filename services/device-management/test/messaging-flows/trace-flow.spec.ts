import { parseTraceparent, type UpdateCommand } from '@opcfleet/contracts';
import type { TestDatabase } from '@opcfleet/event-store/testing/test-database';
import request from 'supertest';
import { mintDevToken } from '../../src/auth/mint-dev-token';
import { updateJobStream } from '../../src/shared/domain/stream-names';
import { TEST_BROKERS, uniqueTestId, type TestBroker } from '../support/brokers';
import { eventually } from '../support/memory-logger';
import { OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver';
import { createServiceDatabase, ServiceStack, TEST_JWT_SECRET } from '../support/service-stack';
import { TestDevice } from '../support/test-device';

jest.setTimeout(30_000);

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';
const SERVER = 2;
const PRODUCER = 4;
const CONSUMER = 5;

/**
 * The service's half of a job's trace, on one broker (aedes): the caller's `traceparent`
 * header, the server span of the request, the trace context in the events' metadata and in the
 * command's envelope, the publish span, and one span per status report the device sends back
 * with the traceparent it got. Spans reach an OTLP/HTTP receiver in this process.
 */
describe('traces of a job, the service alone', () => {
  const [, startBroker] = TEST_BROKERS[0];
  let database: TestDatabase;
  let broker: TestBroker;
  let receiver: OtlpReceiver;
  let service: ServiceStack;
  let device: TestDevice;
  let tenantId: string;
  let authorization: string;

  beforeAll(async () => {
    database = await createServiceDatabase();
    broker = await startBroker();
    receiver = await OtlpReceiver.start();
    tenantId = uniqueTestId('t');
    service = await ServiceStack.start({
      databaseUrl: database.url,
      mqttUrl: broker.url,
      mqttClientId: uniqueTestId('svc'),
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: '50' },
    });
    device = new TestDevice(broker.url, tenantId, 'line-1', 4);
    await device.connect();
    await service.registerClient(tenantId, 'line-1');
    const token = await mintDevToken(TEST_JWT_SECRET, {
      tenant: tenantId,
      roles: ['admin'],
      subject: 'tracer',
    });
    authorization = `Bearer ${token}`;
  });

  afterAll(async () => {
    await device?.disconnect();
    await service?.stop();
    await receiver?.close();
    await broker?.close();
    await database?.drop();
  });

  const requestUpdate = (headers: Record<string, string>, version: string) =>
    request(service.app.getHttpServer())
      .post('/api/v1/clients/line-1/update')
      .set({ authorization, ...headers })
      .send({ targetVersion: version, image: `registry.example.com/opc-core:${version}` })
      .expect(202)
      .then((response) => response.body.jobId as string);

  const commandOf = (jobId: string) =>
    eventually(() => device.commandsFor(jobId)[0]?.command as UpdateCommand | undefined);

  it('continues the caller trace through events, command and reports', async () => {
    const jobId = await requestUpdate(
      { traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01`, 'x-correlation-id': 'trace-flow-1' },
      '2.1.0',
    );
    const command = await commandOf(jobId);
    const sent = parseTraceparent(command.traceparent);
    expect(sent?.traceId).toBe(TRACE_ID);

    // The device answers in the same trace, as the agent does.
    const job = { jobId, kind: 'update' as const, correlationId: 'trace-flow-1' };
    const traceparent = command.traceparent;
    await device.report(job, 1, 'received', { traceparent });
    await device.report(job, 2, 'committed', { traceparent, version: '2.1.0' });

    const inTrace = (spans: ReceivedSpan[]) => spans.filter((s) => s.traceId === TRACE_ID);
    const spans = inTrace(
      await receiver.waitFor('the job trace', (all) => {
        const names = inTrace(all).map((s) => s.name);
        return (
          names.includes('POST /api/v1/clients/:clientId/update') &&
          names.includes('publish update command') &&
          names.includes('ingest update status received') &&
          names.includes('ingest update status committed')
        );
      }),
    );
    const server = spans.find((s) => s.kind === SERVER)!;
    expect(server).toMatchObject({
      service: 'opcfleet-device-management',
      parentSpanId: CALLER_SPAN,
      attributes: expect.objectContaining({
        'http.request.method': 'POST',
        'http.route': '/api/v1/clients/:clientId/update',
        'http.response.status_code': 202,
      }),
    });
    // The command names the request's span: the device's work hangs under the request.
    expect(sent?.spanId).toBe(server.spanId);
    const publish = spans.find((s) => s.kind === PRODUCER)!;
    expect(publish.parentSpanId).toBe(server.spanId);
    expect(publish.attributes['opcfleet.job.id']).toBe(jobId);
    const ingests = spans.filter((s) => s.kind === CONSUMER);
    expect(ingests.map((s) => s.parentSpanId)).toEqual([server.spanId, server.spanId]);
    expect(ingests.map((s) => s.attributes['opcfleet.report.outcome'])).toEqual([
      'applied',
      'applied',
    ]);

    // The events keep the trace context beside the correlation id (jsonb metadata).
    const events = await eventually(async () => {
      const stored = await service.jobEvents({ streamName: updateJobStream(tenantId, jobId) });
      return stored.some((e) => e.type === 'UpdateSucceeded') && stored;
    });
    const traceOf = (type: string) =>
      parseTraceparent(events.find((e) => e.type === type)?.metadata.traceparent);
    expect(traceOf('UpdateRequested')).toMatchObject({ traceId: TRACE_ID, spanId: server.spanId });
    expect(traceOf('UpdateCommandDispatched')).toMatchObject({
      traceId: TRACE_ID,
      spanId: publish.spanId,
    });
    expect(traceOf('UpdateSucceeded')?.traceId).toBe(TRACE_ID);
    expect(events.find((e) => e.type === 'UpdateRequested')?.metadata.correlationId).toBe(
      'trace-flow-1',
    );
    expect(receiver.refused).toEqual([]);
  });

  it("puts a rollout's jobs in the trace of the request that started it", async () => {
    const ROLLOUT_TRACE = '0af7651916cd43dd8448eb211c80319c';
    const second = new TestDevice(broker.url, tenantId, 'line-2', 4);
    await second.connect();
    try {
      await service.registerClient(tenantId, 'line-2');
      const started = await request(service.app.getHttpServer())
        .post('/api/v1/rollouts')
        .set({ authorization, traceparent: `00-${ROLLOUT_TRACE}-${CALLER_SPAN}-01` })
        .send({
          clientIds: ['line-2'],
          targetVersion: '2.3.0',
          image: 'registry.example.com/opc-core:2.3.0',
        })
        .expect(202);
      const command = await eventually(
        () => second.commands[0]?.command as UpdateCommand | undefined,
      );
      expect(parseTraceparent(command.traceparent)?.traceId).toBe(ROLLOUT_TRACE);
      expect(command.correlationId).toBe(started.body.rolloutId);

      const spans = await receiver.waitFor('the rollout job published in its trace', (all) =>
        all.some((s) => s.traceId === ROLLOUT_TRACE && s.kind === PRODUCER),
      );
      const server = spans.find((s) => s.traceId === ROLLOUT_TRACE && s.kind === SERVER)!;
      expect(server.name).toBe('POST /api/v1/rollouts');
      const publish = spans.find((s) => s.traceId === ROLLOUT_TRACE && s.kind === PRODUCER)!;
      expect(publish.parentSpanId).toBe(server.spanId);
      expect(publish.attributes['opcfleet.job.id']).toBe(command.jobId);
    } finally {
      await second.disconnect();
    }
  });

  it('starts a new trace when the traceparent header is malformed, and still answers 202', async () => {
    const jobId = await requestUpdate(
      { traceparent: `00-${TRACE_ID.toUpperCase()}-zz-01` },
      '2.2.0',
    );
    const command = await commandOf(jobId);
    const traceId = parseTraceparent(command.traceparent)?.traceId;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(traceId).not.toBe(TRACE_ID);
    const [server] = await receiver
      .waitFor('the new trace', (all) =>
        all.some((s) => s.traceId === traceId && s.kind === SERVER),
      )
      .then((all) => all.filter((s) => s.traceId === traceId && s.kind === SERVER));
    expect(server.parentSpanId).toBeUndefined();
  });
});
