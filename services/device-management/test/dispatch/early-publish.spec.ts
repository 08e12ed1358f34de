import { Client } from 'pg';
import type { TestDatabase } from '@opcfleet/event-store/testing/test-database';
import { startTestAedes, uniqueTestId, type TestBroker } from '../support/brokers';
import { eventually } from '../support/memory-logger';
import { createServiceDatabase, ServiceStack } from '../support/service-stack';
import { TestDevice } from '../support/test-device';

jest.setTimeout(30_000);

/**
 * A request committed by this process is published right after its commit: it does not wait
 * for the event store's subscription, which cannot read past a transaction that is older and
 * still open. The subscription still records the dispatch, once, when it gets there.
 */
describe('CommandDispatcher publishing a request of this process at once', () => {
  let database: TestDatabase;
  let broker: TestBroker;
  let stack: ServiceStack;
  let olderTransaction: Client;

  beforeAll(async () => {
    database = await createServiceDatabase();
    broker = await startTestAedes();
    stack = await ServiceStack.start({
      databaseUrl: database.url,
      mqttUrl: broker.url,
      mqttClientId: uniqueTestId('svc'),
    });
    olderTransaction = new Client({ connectionString: database.url });
    await olderTransaction.connect();
  });
  afterAll(async () => {
    await olderTransaction.end();
    await stack.stop();
    await broker.close();
    await database.drop();
  });

  it('reaches the device while an older transaction holds the subscription back, and is recorded once after', async () => {
    const tenantId = uniqueTestId('t');
    await stack.registerClient(tenantId, 'press-0');
    await stack.registerClient(tenantId, 'press-1');
    const device = new TestDevice(broker.url, tenantId, 'press-1', 4);
    await device.connect();
    // A first job shows the dispatcher has caught up with the past: it is live.
    const warmUp = await stack.requestUpdate(tenantId, 'press-0');
    await eventually(async () =>
      (await stack.jobEventTypes(warmUp)).includes('UpdateCommandDispatched'),
    );

    await olderTransaction.query('BEGIN');
    await olderTransaction.query('SELECT pg_current_xact_id()');
    const job = await stack.requestUpdate(tenantId, 'press-1', '2.0.0');
    const { jobId } = job;

    await eventually(() => device.commands.some((c) => c.command.jobId === jobId));
    expect(await stack.jobEventTypes(job)).toEqual(['UpdateRequested']);

    await olderTransaction.query('COMMIT');
    await eventually(async () =>
      (await stack.jobEventTypes(job)).includes('UpdateCommandDispatched'),
    );
    // Time for a second publish or record, were there one.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await stack.jobEventTypes(job)).toEqual(['UpdateRequested', 'UpdateCommandDispatched']);
    expect(device.commands.filter((c) => c.command.jobId === jobId)).toHaveLength(1);
    await device.disconnect();
  });
});
