import { randomUUID } from 'node:crypto';
import { PostgresEventStore } from '@opcfleet/event-store/postgres';
import { createTestDatabase, type TestDatabase } from '@opcfleet/event-store/testing/test-database';
import { Registry } from 'prom-client';
import { CommandDispatcher } from '../../src/jobs/dispatch/command-dispatcher';
import { RecordCommandDispatched } from '../../src/jobs/dispatch/record-command-dispatched.command';
import { MessagingMetrics } from '../../src/messaging/messaging.metrics';
import { MqttMessageBus } from '../../src/messaging/mqtt-message-bus';
import { startTestAedes, uniqueTestId, type TestBroker } from '../support/brokers';
import { eventually, memoryLogger } from '../support/memory-logger';
import { TestDevice } from '../support/test-device';
import { updateJobStream } from '../../src/shared/domain/stream-names';

jest.setTimeout(30_000);

/**
 * The at-least-once edge: the broker acknowledged the command, then the service died before
 * the dispatch was recorded (simulated by a command bus that cannot record). The next start
 * sends the same command again, with the same messageId, and the agent dedupes by jobId.
 */
describe('CommandDispatcher after a crash between PUBACK and the recorded dispatch', () => {
  let database: TestDatabase;
  let store: PostgresEventStore;
  let broker: TestBroker;

  beforeAll(async () => {
    database = await createTestDatabase(undefined, 'dm_redispatch');
    store = await PostgresEventStore.connect({
      connectionString: database.url,
      logger: memoryLogger().logger,
    });
    broker = await startTestAedes();
  });
  afterAll(async () => {
    await store.close();
    await broker.close();
    await database.drop();
  });

  const dispatcherWith = (execute: (command: object) => Promise<unknown>) => {
    const { logger } = memoryLogger();
    const bus = new MqttMessageBus(
      {
        url: broker.url,
        protocol: '3.1.1',
        clientId: uniqueTestId('svc'),
        rejectUnauthorized: true,
        pubackTimeoutMs: 2000,
        sessionExpirySeconds: 60,
      },
      logger,
    );
    const dispatcher = new CommandDispatcher(
      store,
      bus,
      { execute },
      new MessagingMetrics(new Registry(), bus),
      logger,
      { commandExpiryMs: 60_000, maxBackoffMs: 50, checkpointer: store.checkpointer() },
    );
    return { bus, dispatcher };
  };

  it('publishes the command again with the same messageId, and records it then', async () => {
    const tenantId = uniqueTestId('t');
    const device = new TestDevice(broker.url, tenantId, 'line-1', 4);
    await device.connect();
    const jobId = randomUUID();
    await store.appendToStream(updateJobStream(tenantId, jobId), [
      {
        id: randomUUID(),
        type: 'UpdateRequested',
        data: {
          jobId,
          tenantId,
          clientId: 'line-1',
          targetVersion: '2.0.0',
          image: 'registry.example.com/opc-core:2.0.0',
          requestedAt: new Date().toISOString(),
        },
        metadata: { correlationId: 'corr-crash', tenantId },
      },
    ]);

    let recordAttempts = 0;
    const first = dispatcherWith(async () => {
      recordAttempts++;
      throw new Error('database gone');
    });
    await first.bus.start();
    await first.dispatcher.start();
    await eventually(() => device.commandsFor(jobId).length === 1 && recordAttempts > 0);
    await first.dispatcher.stop();
    await first.bus.stop();

    const recorded: RecordCommandDispatched[] = [];
    const second = dispatcherWith(async (command) => {
      recorded.push(command as RecordCommandDispatched);
      return { outcome: 'recorded' };
    });
    await second.bus.start();
    await second.dispatcher.start();
    try {
      await eventually(() => device.commandsFor(jobId).length === 2 && recorded.length === 1);
      const [sent, again] = device.commandsFor(jobId);
      expect(again.command.messageId).toBe(sent.command.messageId);
      expect(recorded[0]).toMatchObject({ jobId, messageId: sent.command.messageId });
    } finally {
      await second.dispatcher.stop();
      await second.bus.stop();
      await device.disconnect();
    }
  });
  it('records the dispatch of a job the device ended before it was recorded', async () => {
    // Seen in test/e2e/replica-kill.spec.ts: the replica holding the dispatcher was killed
    // after the PUBACK, the device ran the job to the end, and the replay skipped the final
    // job: its stream never got UpdateCommandDispatched.
    const tenantId = uniqueTestId('t');
    const device = new TestDevice(broker.url, tenantId, 'line-2', 4);
    await device.connect();
    const jobId = randomUUID();
    const at = new Date().toISOString();
    await store.appendToStream(updateJobStream(tenantId, jobId), [
      {
        id: randomUUID(),
        type: 'UpdateRequested',
        data: {
          jobId,
          tenantId,
          clientId: 'line-2',
          targetVersion: '2.0.0',
          image: 'registry.example.com/opc-core:2.0.0',
          requestedAt: at,
        },
        metadata: { correlationId: 'corr-ended', tenantId },
      },
      { id: randomUUID(), type: 'UpdateReceived', data: { jobId, seq: 1, at } },
      { id: randomUUID(), type: 'UpdateSucceeded', data: { jobId, seq: 7, at, version: '2.0.0' } },
    ]);

    const recorded: RecordCommandDispatched[] = [];
    const { bus, dispatcher } = dispatcherWith(async (command) => {
      recorded.push(command as RecordCommandDispatched);
      return { outcome: 'recorded' };
    });
    await bus.start();
    await dispatcher.start();
    try {
      await eventually(() => device.commandsFor(jobId).length === 1 && recorded.length === 1);
      expect(recorded[0]).toMatchObject({
        jobId,
        messageId: device.commandsFor(jobId)[0].command.messageId,
      });
    } finally {
      await dispatcher.stop();
      await bus.stop();
      await device.disconnect();
    }
  });
});
