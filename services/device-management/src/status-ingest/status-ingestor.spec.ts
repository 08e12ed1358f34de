import { PRESENCE_SCHEMA, STATUS_REPORT_SCHEMA } from '@opcfleet/contracts';
import { Registry } from 'prom-client';
import { eventually, memoryLogger } from '../../test/support/memory-logger';
import { RecordClientPresence } from '../clients/record-presence/record-presence.command';
import { IngestStatusReport } from '../jobs/ingest-status-report/ingest-status-report.command';
import type {
  BrokerStatus,
  IncomingMessage,
  MessageBus,
  MessageHandler,
} from '../messaging/message-bus';
import { MessagingMetrics } from '../messaging/messaging.metrics';
import { StatusIngestor } from './status-ingestor';

/** A bus that hands messages straight to the subscribed handlers: the logic under test only. */
class LoopbackBus implements MessageBus {
  readonly handlers = new Map<string, MessageHandler>();
  async publish(): Promise<void> {}
  async subscribe(filter: string, handler: MessageHandler): Promise<void> {
    this.handlers.set(filter, handler);
  }
  status(): BrokerStatus {
    return { connected: true, url: 'mqtt://loopback', protocol: 'mqtt-5' };
  }
  onConnected(): void {}
  deliver(filter: string, message: Partial<IncomingMessage> & { topic: string; payload: Buffer }) {
    return this.handlers.get(filter)!({ retained: false, ...message });
  }
}

const presence = (status: 'online' | 'offline') =>
  Buffer.from(
    JSON.stringify({
      schema: PRESENCE_SCHEMA,
      tenantId: 't1',
      clientId: 'c1',
      status,
      at: '2026-01-01T00:00:00Z',
    }),
  );

const report = Buffer.from(
  JSON.stringify({
    schema: STATUS_REPORT_SCHEMA,
    messageId: '0d9e3a46-5a43-4b8e-9a33-6e1b7c2a1f00',
    tenantId: 't1',
    clientId: 'c1',
    correlationId: 'corr-1',
    jobId: '6f1c2b3a-1d2e-4f5a-8b9c-0d1e2f3a4b5c',
    jobKind: 'update',
    seq: 1,
    phase: 'received',
    at: '2026-01-01T00:00:00Z',
  }),
);

function setup(execute: (command: object) => Promise<unknown>) {
  const bus = new LoopbackBus();
  const redelivered: string[] = [];
  const { logger, lines } = memoryLogger();
  const ingestor = new StatusIngestor(
    bus,
    { execute },
    {
      redeliverPending: async (tenantId, clientId) => {
        redelivered.push(`${tenantId}/${clientId}`);
        return 1;
      },
    },
    new MessagingMetrics(new Registry(), bus),
    logger,
    { concurrency: 4, maxAttempts: 3, maxBackoffMs: 1 },
  );
  return { bus, ingestor, redelivered, lines };
}

describe('StatusIngestor', () => {
  it('sends pending commands again when a client comes online, not on a retained replay', async () => {
    const { bus, ingestor, redelivered } = setup(async (command) => {
      expect(command).toBeInstanceOf(RecordClientPresence);
      return { outcome: 'recorded' };
    });
    await ingestor.start();
    const topic = 'tenants/t1/clients/c1/presence';
    await bus.deliver('tenants/+/clients/+/presence', {
      topic,
      payload: presence('online'),
      retained: true,
    });
    await bus.deliver('tenants/+/clients/+/presence', { topic, payload: presence('offline') });
    await ingestor.stop();
    expect(redelivered).toEqual([]);
    const again = setup(async () => ({ outcome: 'recorded' }));
    await again.ingestor.start();
    await again.bus.deliver('tenants/+/clients/+/presence', { topic, payload: presence('online') });
    await again.ingestor.stop();
    expect(again.redelivered).toEqual(['t1/c1']);
  });

  it('does not redeliver for a client the service does not know', async () => {
    const { bus, ingestor, redelivered } = setup(async () => ({ outcome: 'unknown_client' }));
    await ingestor.start();
    await bus.deliver('tenants/+/clients/+/presence', {
      topic: 'tenants/t1/clients/c1/presence',
      payload: presence('online'),
    });
    await ingestor.stop();
    expect(redelivered).toEqual([]);
  });

  it('retries a report while the database fails, then gives up with one error line', async () => {
    let calls = 0;
    const { bus, ingestor, lines } = setup(async (command) => {
      expect(command).toBeInstanceOf(IngestStatusReport);
      calls++;
      throw new Error('connection refused');
    });
    await ingestor.start();
    await bus.deliver('tenants/+/clients/+/status', {
      topic: 'tenants/t1/clients/c1/status',
      payload: report,
    });
    await eventually(() => lines.some((line) => line.level === 50));
    await ingestor.stop();
    expect(calls).toBe(3);
    const errors = lines.filter((line) => line.level === 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      msg: 'message could not be ingested, dropped',
      correlationId: 'corr-1',
      jobId: '6f1c2b3a-1d2e-4f5a-8b9c-0d1e2f3a4b5c',
    });
  });

  it('drops a report whose body names another client than its topic, before the domain', async () => {
    const { bus, ingestor, lines } = setup(async () => {
      throw new Error('must not be called');
    });
    await ingestor.start();
    await bus.deliver('tenants/+/clients/+/status', {
      topic: 'tenants/t1/clients/other/status',
      payload: report,
    });
    await ingestor.stop();
    expect(lines.filter((line) => line.msg === 'status message dropped')).toEqual([
      expect.objectContaining({ reason: 'topic_mismatch', bodyClientId: 'c1' }),
    ]);
  });
});
