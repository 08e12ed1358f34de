import { STATUS_REPORT_SCHEMA, validateReportAck } from '@opcfleet/contracts';
import { Registry } from 'prom-client';
import { eventually, memoryLogger } from '../../../test/support/memory-logger';
import { IngestStatusReport } from './ingest-status-report.command';
import type {
  BrokerStatus,
  IncomingMessage,
  MessageBus,
  MessageHandler,
  OutgoingMessage,
} from '../../messaging/message-bus';
import { MessagingMetrics } from '../../messaging/messaging.metrics';
import { StatusIngestor } from './status-ingestor';

/** A bus that hands messages straight to the subscribed handlers: the logic under test only. */
class LoopbackBus implements MessageBus {
  readonly handlers = new Map<string, MessageHandler>();
  readonly published: OutgoingMessage[] = [];
  async publish(message: OutgoingMessage): Promise<void> {
    this.published.push(message);
  }
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

function setup(
  execute: (command: object) => Promise<unknown>,
  limits: { concurrency: number; buffer: number } = { concurrency: 4, buffer: 16 },
) {
  const bus = new LoopbackBus();
  const { logger, lines } = memoryLogger();
  const ingestor = new StatusIngestor(
    bus,
    { execute },
    new MessagingMetrics(new Registry(), bus),
    logger,
    { ...limits, maxAttempts: 3, maxBackoffMs: 1 },
  );
  return { bus, ingestor, lines };
}

const reportOf = (seq: number, jobId = '6f1c2b3a-1d2e-4f5a-8b9c-0d1e2f3a4b5c') =>
  Buffer.from(JSON.stringify({ ...JSON.parse(report.toString()), seq, jobId }));

describe('StatusIngestor', () => {
  it('takes reports off the packet loop before they are written: the broker is answered at once', async () => {
    let open!: () => void;
    const opened = new Promise<void>((resolve) => (open = resolve));
    let writesStarted = 0;
    const { bus, ingestor } = setup(async () => {
      writesStarted++;
      await opened;
      return { outcome: 'applied', eventType: 'UpdateReceived' };
    });
    await ingestor.start();
    // Ten reports of one job, more than run at once (4): each is taken while the first are
    // written. (The job batch writer, not this queue, keeps one job's reports in order.)
    for (let seq = 1; seq <= 10; seq++) {
      await bus.deliver('tenants/+/clients/+/status', {
        topic: 'tenants/t1/clients/c1/status',
        payload: reportOf(seq),
      });
    }
    expect(writesStarted).toBe(4);
    open();
    await ingestor.stop();
    expect(writesStarted).toBe(10);
  });

  it('tells which jobs have reports not written yet, and when its buffer is half full', async () => {
    let open!: () => void;
    const opened = new Promise<void>((resolve) => (open = resolve));
    const { bus, ingestor } = setup(
      async () => {
        await opened;
        return { outcome: 'duplicate' };
      },
      { concurrency: 1, buffer: 4 },
    );
    await ingestor.start();
    const job = '6f1c2b3a-1d2e-4f5a-8b9c-0d1e2f3a4b5c';
    await bus.deliver('tenants/+/clients/+/status', {
      topic: 'tenants/t1/clients/c1/status',
      payload: reportOf(1, job),
    });
    expect(ingestor.holds('t1', job)).toBe(true);
    expect(ingestor.holds('t2', job)).toBe(false);
    expect(ingestor.saturated()).toBe(false);
    await bus.deliver('tenants/+/clients/+/status', {
      topic: 'tenants/t1/clients/c1/status',
      payload: reportOf(2, job),
    });
    expect(ingestor.saturated()).toBe(true);
    open();
    await ingestor.stop();
    expect(ingestor.holds('t1', job)).toBe(false);
    expect(ingestor.saturated()).toBe(false);
  });

  it('holds the packet loop only while its buffer is full', async () => {
    let open!: () => void;
    const opened = new Promise<void>((resolve) => (open = resolve));
    const { bus, ingestor } = setup(
      async () => {
        await opened;
        return { outcome: 'duplicate' };
      },
      { concurrency: 1, buffer: 2 },
    );
    await ingestor.start();
    const deliver = (seq: number) =>
      bus.deliver('tenants/+/clients/+/status', {
        topic: 'tenants/t1/clients/c1/status',
        payload: reportOf(seq),
      });
    await deliver(1);
    await deliver(2);
    let thirdTaken = false;
    const third = deliver(3).then(() => (thirdTaken = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(thirdTaken).toBe(false);
    open();
    await third;
    expect(thirdTaken).toBe(true);
    await ingestor.stop();
  });

  it("acks each report it holds on the client's acks topic, and none it could not write", async () => {
    const outcomes = [
      { outcome: 'applied', eventType: 'UpdateReceived' },
      { outcome: 'duplicate' },
      { outcome: 'ignored', reason: 'job_final' },
      { outcome: 'rejected', reason: 'unknown_job' },
    ];
    let call = 0;
    const { bus, ingestor } = setup(async () => {
      const outcome = outcomes[call++];
      if (!outcome) throw new Error('connection refused');
      return outcome;
    });
    await ingestor.start();
    for (let seq = 1; seq <= 5; seq++) {
      await bus.deliver('tenants/+/clients/+/status', {
        topic: 'tenants/t1/clients/c1/status',
        payload: reportOf(seq),
      });
      await ingestor.caughtUp();
    }
    await ingestor.stop();
    const acks = bus.published.map((m) => ({ ...m, payload: JSON.parse(m.payload as string) }));
    expect(acks.map((m) => [m.topic, m.qos, m.payload.seq, m.payload.outcome])).toEqual([
      ['tenants/t1/clients/c1/acks', 0, 1, 'stored'],
      ['tenants/t1/clients/c1/acks', 0, 2, 'duplicate'],
      ['tenants/t1/clients/c1/acks', 0, 3, 'stored'],
      ['tenants/t1/clients/c1/acks', 0, 4, 'refused'],
    ]);
    expect(validateReportAck(acks[0].payload)).toMatchObject({ ok: true });
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
