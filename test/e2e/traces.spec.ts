import { randomBytes } from 'node:crypto';
import { parseTraceparent } from '@opcfleet/contracts';
import {
  OtlpReceiver,
  type ReceivedSpan,
} from '../../services/device-management/test/support/otlp-receiver';
import { FleetStack, SCENARIO_TIMEOUT_MS, STACK_TIMEOUT_MS } from './harness/fleet-stack';
import { opcConfig } from './harness/opc-config';

jest.setTimeout(SCENARIO_TIMEOUT_MS);

const SERVICE = 'opcfleet-device-management';
const AGENT = 'opcfleet-edge-agent';
/** Exports every 200 ms instead of 5 s: the test waits for spans, not for a timer. */
const TRACING_ENV = (endpoint: string) => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
  OTEL_BSP_SCHEDULE_DELAY: '200',
});

/**
 * Traces end to end, on one broker (aedes; the trace context is in the JSON envelope, so the
 * broker plays no part): the service process and the agent process export over OTLP/HTTP to a
 * receiver in this test process. One update job is one trace, from the caller's `traceparent`
 * to the device's steps and the status reports the service ingests.
 */
describe('traces of jobs end to end', () => {
  let receiver: OtlpReceiver;
  let stack: FleetStack;

  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
    stack = await FleetStack.start('aedes', 'traces', {
      serviceEnv: TRACING_ENV(receiver.endpoint),
    });
  }, STACK_TIMEOUT_MS);

  afterAll(async () => {
    await stack?.close();
    await receiver?.close();
  }, STACK_TIMEOUT_MS);

  it('shows one update job as one trace: the request, the publish, the device steps, the reports', () =>
    stack.scenario(async () => {
      const device = await stack.addDevice({
        tags: ['2.0.0'],
        agentEnv: TRACING_ENV(receiver.endpoint),
      });
      const traceId = randomBytes(16).toString('hex');
      const callerSpan = randomBytes(8).toString('hex');
      const jobId = await stack.api.requestUpdate(
        device.address.clientId,
        '2.0.0',
        device.workload.image('2.0.0'),
        { traceparent: `00-${traceId}-${callerSpan}-01` },
      );
      expect((await stack.api.waitForJob(jobId)).status).toBe('Succeeded');

      // The agent's last step (the clean-up after the commit) ends after its last report.
      const deviceSteps = [
        'update prepare',
        'update pull',
        'update swap: stop old',
        'update swap: start new',
        'update health check',
        'update commit',
      ];
      const servicePhases = ['received', 'pulling', 'verifying', 'committed'];
      const spans = await receiver.waitFor('the whole trace of the job', (all) => {
        const names = new Set(all.filter((s) => s.traceId === traceId).map((s) => s.name));
        return (
          deviceSteps.every((name) => names.has(name)) &&
          names.has('publish update command') &&
          servicePhases.every((phase) => names.has(`ingest update status ${phase}`))
        );
      });

      // Every span about this job, from either process, is in the one trace.
      const ofJob = spans.filter((s) => s.attributes['opcfleet.job.id'] === jobId);
      expect(new Set(ofJob.map((s) => s.traceId))).toEqual(new Set([traceId]));
      expect(new Set(ofJob.map((s) => s.service))).toEqual(new Set([SERVICE, AGENT]));

      const trace = spans.filter((s) => s.traceId === traceId);
      const server = only(trace, (s) => s.service === SERVICE && s.kind === 2);
      expect(server.name).toBe('POST /api/v1/clients/:clientId/update');
      expect(server.parentSpanId).toBe(callerSpan);
      // The device's steps and the service's work on the reports hang under the request.
      const agentSpans = trace.filter((s) => s.service === AGENT);
      expect(agentSpans.map((s) => s.parentSpanId)).toEqual(agentSpans.map(() => server.spanId));
      const ingests = trace.filter((s) => s.name.startsWith('ingest update status'));
      expect(ingests.every((s) => s.parentSpanId === server.spanId)).toBe(true);
      expect(ingests.length).toBeGreaterThanOrEqual(servicePhases.length);
      expect(only(trace, (s) => s.name === 'publish update command').parentSpanId).toBe(
        server.spanId,
      );
      // In time: the request first, the device's steps in the order they ran.
      const started = (name: string) =>
        BigInt(only(trace, (s) => s.name === name).startTimeUnixNano);
      for (const [before, after] of pairs(deviceSteps)) {
        expect(started(before) < started(after)).toBe(true);
      }
      expect(BigInt(server.startTimeUnixNano) < started('update prepare')).toBe(true);
      expect(trace.filter((s) => s.statusCode === 2)).toEqual([]);

      // The events keep the trace context beside the correlation id.
      const events = await stack.api.jobEvents(jobId);
      for (const event of events) {
        expect({
          type: event.type,
          traceId: parseTraceparent(event.metadata.traceparent)?.traceId,
        }).toEqual({ type: event.type, traceId });
      }
      expect(receiver.refused).toEqual([]);
    }));

  it('puts a config job in a trace of its own, the apply on the device included', () =>
    stack.scenario(async () => {
      const device = await stack.addDevice({ agentEnv: TRACING_ENV(receiver.endpoint) });
      // No traceparent header: the service starts the trace.
      const jobId = await stack.api.requestConfig(device.address.clientId, 1, opcConfig(1));
      expect((await stack.api.waitForJob(jobId)).status).toBe('Applied');
      const requested = (await stack.api.jobEvents(jobId)).find(
        (e) => e.type === 'ConfigChangeRequested',
      );
      const traceId = parseTraceparent(requested?.metadata.traceparent)?.traceId;
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);

      const spans = await receiver.waitFor('the config trace', (all) =>
        ['config apply', 'ingest config status applied', 'publish config command'].every((name) =>
          all.some((s) => s.traceId === traceId && s.name === name),
        ),
      );
      const server = only(spans, (s) => s.traceId === traceId && s.kind === 2);
      expect(server.parentSpanId).toBeUndefined();
      expect(only(spans, (s) => s.traceId === traceId && s.name === 'config apply')).toMatchObject({
        service: AGENT,
        parentSpanId: server.spanId,
        attributes: expect.objectContaining({ 'opcfleet.config.outcome': 'applied' }),
      });
    }));
});

function only(spans: ReceivedSpan[], which: (span: ReceivedSpan) => boolean): ReceivedSpan {
  const found = spans.filter(which);
  if (found.length !== 1) {
    throw new Error(`expected one span, found ${found.length}: ${found.map((s) => s.name)}`);
  }
  return found[0]!;
}

const pairs = <T>(items: T[]): Array<[T, T]> =>
  items.slice(1).map((item, index) => [items[index]!, item]);
