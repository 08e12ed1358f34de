import { CANCEL_COMMAND_SCHEMA } from '@opcfleet/contracts';
import { TEST_BROKERS, type TestBroker } from '../support/brokers';
import { eventually } from '../support/memory-logger';
import type { ServiceStack } from '../support/service-stack';
import { serviceWithDevice } from '../support/service-with-device';
import type { TestDevice } from '../support/test-device';

jest.setTimeout(30_000);

describe.each(TEST_BROKERS)('cancelling jobs over MQTT with %s', (brokerName, startBroker) => {
  let broker: TestBroker;
  let service: ServiceStack;
  let tenantId: string;
  let device: TestDevice;
  serviceWithDevice(brokerName, startBroker, (parts) => {
    ({ broker, service, tenantId, device } = parts);
  });

  const topicOf = (channel: string) => `tenants/${tenantId}/clients/line-1/commands/${channel}`;
  const cancelsFor = (jobId: string) =>
    device.commandsFor(jobId).filter((received) => received.topic === topicOf('cancel'));

  it('sends a cancel command to a device that has received the job, and records its answer', async () => {
    const job = await service.requestUpdate(tenantId, 'line-1');
    await eventually(() => device.commandsFor(job.jobId).length > 0);
    // The dispatch is recorded after the PUBACK; a device as quick as this one could answer
    // before it, and the stream would say so. Here it answers after.
    await eventually(async () =>
      (await service.jobEventTypes(job)).includes('UpdateCommandDispatched'),
    );
    await device.report({ ...job, kind: 'update' }, 1, 'received');
    await eventually(async () => (await service.jobEventTypes(job)).includes('UpdateReceived'));

    await service.cancelJob(tenantId, job.jobId, 'wrong image tag');

    const [cancel] = await eventually(
      () => cancelsFor(job.jobId).length > 0 && cancelsFor(job.jobId),
    );
    expect(cancel.command).toMatchObject({
      schema: CANCEL_COMMAND_SCHEMA,
      jobId: job.jobId,
      tenantId,
      clientId: 'line-1',
      payload: { jobKind: 'update', reason: 'wrong image tag' },
    });
    expect(Date.parse(cancel.command.expiresAt!)).toBeGreaterThan(Date.now());
    // The device stopped before the swap and says so: the job stays Cancelled.
    await device.report({ ...job, kind: 'update' }, 2, 'cancelled', { version: '1.0.0' });
    await eventually(async () => (await service.jobEventTypes(job)).includes('CancelAcknowledged'));
    expect(await service.jobEventTypes(job)).toEqual([
      'UpdateRequested',
      'UpdateCommandDispatched',
      'UpdateReceived',
      'UpdateCancelled',
      'CancelAcknowledged',
    ]);
    expect(cancelsFor(job.jobId)).toHaveLength(1);
  });

  it('keeps the cancel while the broker is down and sends it once it is back', async () => {
    const job = await service.requestUpdate(tenantId, 'line-1');
    await eventually(async () =>
      (await service.jobEventTypes(job)).includes('UpdateCommandDispatched'),
    );
    await broker.cut();
    await service.cancelJob(tenantId, job.jobId);
    await eventually(() => service.logsWith('broker unavailable, will retry').length >= 1);
    expect(cancelsFor(job.jobId)).toHaveLength(0);
    await broker.restore();
    await eventually(() => cancelsFor(job.jobId).length > 0, 15_000);
  });

  it('never sends a job cancelled before its command left, nor a cancel for it', async () => {
    await broker.cut();
    await eventually(() => service.brokerHealth.check().status === 'down');
    const job = await service.requestUpdate(tenantId, 'line-1');
    await eventually(() => service.logsWith('broker unavailable, will retry').length >= 1);
    await service.cancelJob(tenantId, job.jobId);
    await broker.restore();
    await eventually(
      () => service.logsWith('job cancelled before its command could be sent').length > 0,
      15_000,
    );
    await eventually(() =>
      service
        .logsWith('job cancelled before its command was sent: nothing to stop on the device')
        .some((line) => line.jobId === job.jobId),
    );
    // A later job to the same device arrives: anything for the cancelled one would be before it.
    const next = await service.requestUpdate(tenantId, 'line-1', '2.1.0');
    await eventually(() => device.commandsFor(next.jobId).length > 0, 15_000);
    expect(device.commandsFor(job.jobId)).toHaveLength(0);
    expect(await service.jobEventTypes(job)).toEqual(['UpdateRequested', 'UpdateCancelled']);
  });
});
