import type { OpcClientConfig } from '@opcfleet/contracts';
import { TEST_BROKERS } from '../support/brokers';
import { eventually } from '../support/memory-logger';
import type { ServiceStack } from '../support/service-stack';
import { serviceWithDevice } from '../support/service-with-device';
import type { TestDevice } from '../support/test-device';
import { clientStream } from '../../src/shared/domain/stream-names';

jest.setTimeout(30_000);

const settings: OpcClientConfig = {
  endpoints: [
    {
      name: 'plc-1',
      url: 'opc.tcp://plc-1.local:4840',
      securityMode: 'None',
      securityPolicy: 'None',
      userIdentity: { type: 'anonymous' },
    },
  ],
  nodes: [
    {
      endpoint: 'plc-1',
      nodeId: 'ns=2;s=Line1.Temperature',
      samplingIntervalMs: 500,
      publishingIntervalMs: 1000,
    },
  ],
  buffering: { maxMessages: 10_000, maxBytes: 1_048_576, overflowPolicy: 'dropOldest' },
};

describe.each(TEST_BROKERS)('config jobs over MQTT with %s', (brokerName, startBroker) => {
  let service: ServiceStack;
  let tenantId: string;
  let device: TestDevice;
  serviceWithDevice(brokerName, startBroker, (parts) => {
    ({ service, tenantId, device } = parts);
  });

  it('delivers the config and records it as applied', async () => {
    const job = await service.requestConfig(tenantId, 'line-1', 1, settings);
    const [received] = await eventually(
      () => device.commandsFor(job.jobId).length > 0 && device.commandsFor(job.jobId),
    );
    expect(received.topic).toBe(`tenants/${tenantId}/clients/line-1/commands/config`);
    expect(received.command).toMatchObject({
      schema: 'opcfleet.command.config/v1',
      correlationId: job.correlationId,
      payload: { version: 1, settings },
    });
    await device.report({ ...job, kind: 'config' }, 1, 'received', { configVersion: 1 });
    await device.report({ ...job, kind: 'config' }, 2, 'applied', { configVersion: 1 });
    // The dispatch is recorded behind the publish's PUBACK, in the dispatcher's next batch: the
    // device's reports can reach the stream first, even the final one. Wait for both facts.
    const types = await eventually(async () => {
      const recorded = await service.jobEventTypes(job);
      return (
        recorded.includes('ConfigApplied') &&
        recorded.includes('ConfigCommandDispatched') &&
        recorded
      );
    });
    expect(types[0]).toBe('ConfigChangeRequested');
    expect(types.filter((type) => type === 'ConfigCommandDispatched')).toHaveLength(1);
    expect(types.filter((type) => type !== 'ConfigCommandDispatched')).toEqual([
      'ConfigChangeRequested',
      'ConfigReceived',
      'ConfigApplied',
    ]);
    // The client stream is settled right after the job's final event.
    const ended = await eventually(async () =>
      (await service.store.readStream(clientStream(tenantId, 'line-1'))).find(
        (event) => event.type === 'ClientConfigEnded',
      ),
    );
    expect(ended.data).toMatchObject({ jobId: job.jobId, outcome: 'applied', version: 1 });
  });

  it('records a config the device rejects, with its field errors', async () => {
    const job = await service.requestConfig(tenantId, 'line-1', 2, settings);
    await eventually(() => device.commandsFor(job.jobId).length > 0);
    await device.report({ ...job, kind: 'config' }, 1, 'rejected', {
      configVersion: 2,
      error: {
        code: 'invalid_config',
        message: 'the workload refused the configuration',
        fieldErrors: [{ path: 'nodes.0.nodeId', message: 'unknown node' }],
      },
    });
    const rejected = await eventually(async () =>
      (await service.jobEvents(job)).find((event) => event.type === 'ConfigRejected'),
    );
    expect(rejected.data).toMatchObject({
      reason: 'the workload refused the configuration',
      fieldErrors: [{ path: 'nodes.0.nodeId', message: 'unknown node' }],
    });
  });
});
