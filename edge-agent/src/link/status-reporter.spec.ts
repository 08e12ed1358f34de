import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { JobLedger } from './job-ledger';
import { Outbox } from './outbox';
import { InvalidReportError, StatusReporter, type ReportPublisher } from './status-reporter';

const address = { tenantId: 'acme', clientId: 'press-07' };
const logger = pino({ level: 'silent' });
const at = '2026-11-23T10:00:00.000Z';

/** A broker that acknowledges only while "up", and remembers what it acknowledged. */
class FlakyPublisher implements ReportPublisher {
  up = true;
  readonly acked: { jobId: string; seq: number; phase: string }[] = [];
  async publish(_topic: string, payload: string): Promise<void> {
    if (!this.up) throw new Error('connection lost');
    const { jobId, seq, phase } = JSON.parse(payload);
    this.acked.push({ jobId, seq, phase });
  }
}

describe('StatusReporter and its outbox', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'outbox-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  async function open() {
    const ledger = await JobLedger.open(path.join(dir, 'jobs'));
    const outbox = await Outbox.open(path.join(dir, 'outbox'));
    return { ledger, outbox, reporter: new StatusReporter({ address, ledger, outbox, logger }) };
  }
  const phaseOf = (jobId: string, phase: 'received' | 'pulling' | 'pulled' | 'committed') =>
    ({ jobKind: 'update', jobId, correlationId: 'c-1', phase, at }) as const;

  it('numbers each job from 1 and publishes in the order the reports were made', async () => {
    const { reporter } = await open();
    const [a, b] = [randomUUID(), randomUUID()];
    const publisher = new FlakyPublisher();
    reporter.attach(publisher);
    await reporter.report(phaseOf(a, 'received'));
    await reporter.report(phaseOf(b, 'received'));
    await reporter.report(phaseOf(a, 'pulling'));
    await reporter.flushed();
    expect(publisher.acked).toEqual([
      { jobId: a, seq: 1, phase: 'received' },
      { jobId: b, seq: 1, phase: 'received' },
      { jobId: a, seq: 2, phase: 'pulling' },
    ]);
  });

  it('keeps unacknowledged reports on disk and sends them in order after a restart', async () => {
    const jobId = randomUUID();
    const first = await open();
    const publisher = new FlakyPublisher();
    first.reporter.attach(publisher);
    await first.reporter.report(phaseOf(jobId, 'received'));
    await first.reporter.flushed();
    publisher.up = false;
    await first.reporter.report(phaseOf(jobId, 'pulling'));
    await first.reporter.report(phaseOf(jobId, 'pulled'));
    await first.reporter.flushed();
    expect(await readdir(path.join(dir, 'outbox'))).toHaveLength(2);

    // Power cut: a new process opens the same data dir.
    const second = await open();
    expect(second.outbox.size()).toBe(2);
    await second.reporter.report(phaseOf(jobId, 'committed'));
    publisher.up = true;
    second.reporter.attach(publisher);
    await second.reporter.flushed();
    expect(publisher.acked.map((r) => [r.seq, r.phase])).toEqual([
      [1, 'received'],
      [2, 'pulling'],
      [3, 'pulled'],
      [4, 'committed'],
    ]);
    expect(await readdir(path.join(dir, 'outbox'))).toEqual([]);
  });

  it('resumes after a failed publish when kicked again, without skipping the failed one', async () => {
    const jobId = randomUUID();
    const { reporter } = await open();
    const publisher = new FlakyPublisher();
    publisher.up = false;
    reporter.attach(publisher);
    await reporter.report(phaseOf(jobId, 'received'));
    await reporter.report(phaseOf(jobId, 'pulling'));
    await reporter.flushed();
    expect(publisher.acked).toEqual([]);
    publisher.up = true;
    reporter.kick();
    await reporter.flushed();
    expect(publisher.acked.map((r) => r.seq)).toEqual([1, 2]);
  });

  it('never reuses a sequence number, even when the ledger lags the outbox after a crash', async () => {
    const jobId = randomUUID();
    const first = await open();
    await first.ledger.admit({ kind: 'update', command: { jobId } as never }, at);
    // Simulate a crash between the outbox append and the ledger update.
    await first.outbox.append('t', {
      ...(await first.reporter.report(phaseOf(jobId, 'received'))),
      seq: 2,
    });
    const second = await open();
    const next = await second.reporter.report(phaseOf(jobId, 'pulling'));
    expect(next.seq).toBe(3);
  });

  it('sets an unreadable outbox entry aside instead of failing to start', async () => {
    const jobId = randomUUID();
    const first = await open();
    await first.reporter.report(phaseOf(jobId, 'received'));
    await first.reporter.report(phaseOf(jobId, 'pulling'));
    await writeFile(path.join(dir, 'outbox', '000000000001.json'), '{"position": 1, "top');
    const second = await open();
    expect(second.outbox.pending().map((e) => e.report.phase)).toEqual(['pulling']);
    expect(await readdir(path.join(dir, 'outbox'))).toContain('000000000001.json.corrupt');
  });

  it('keeps the phase of a report whose details break the contract, without them', async () => {
    const { reporter, outbox } = await open();
    const report = await reporter.report({
      ...phaseOf(randomUUID(), 'pulling'),
      version: 'not a version!',
      progress: { bytes: -1 },
    });
    expect(report).toMatchObject({ phase: 'pulling', seq: 1 });
    expect(report).not.toHaveProperty('version');
    expect(report).not.toHaveProperty('progress');
    expect(outbox.size()).toBe(1);
  });

  it('refuses to store a report that cannot be made valid, and stores nothing', async () => {
    const { reporter, outbox } = await open();
    await expect(reporter.report({ ...phaseOf('not-a-uuid', 'received') })).rejects.toBeInstanceOf(
      InvalidReportError,
    );
    expect(outbox.size()).toBe(0);
  });
});

describe('StatusReporter with the service’s report acks', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'outbox-acks-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  /** A job whose command asked for acks, admitted to the ledger as the inbox does. */
  async function openWithJob(ackTimeoutMs = 50) {
    const ledger = await JobLedger.open(path.join(dir, 'jobs'));
    const outbox = await Outbox.open(path.join(dir, 'outbox'));
    const jobId = randomUUID();
    await ledger.admit(
      {
        kind: 'update',
        command: {
          schema: 'opcfleet.command.update/v1',
          messageId: randomUUID(),
          ...address,
          correlationId: 'c-1',
          jobId,
          issuedAt: at,
          reportAcks: 'v1',
          payload: { targetVersion: '2.0.0', image: 'registry.example.com/opc-core:2.0.0' },
        },
      },
      at,
    );
    const reporter = new StatusReporter({ address, ledger, outbox, logger, ackTimeoutMs });
    return { reporter, outbox, jobId };
  }
  const ackOf = (jobId: string, seq: number) =>
    JSON.stringify({
      schema: 'opcfleet.report-ack/v1',
      ...address,
      jobId,
      seq,
      outcome: 'stored',
      at,
    });
  const reportOf = (jobId: string, phase: 'received' | 'pulling') =>
    ({ jobKind: 'update', jobId, correlationId: 'c-1', phase, at }) as const;

  it('keeps a report until the service acks it, sends it again meanwhile, and holds the next back', async () => {
    const { reporter, outbox, jobId } = await openWithJob();
    const publisher = new FlakyPublisher();
    reporter.attach(publisher);
    await reporter.report(reportOf(jobId, 'received'));
    await reporter.report(reportOf(jobId, 'pulling'));
    // The broker took seq 1 (PUBACK) but the service never said it has it: it goes again.
    await waitUntil(() => publisher.acked.length >= 3);
    expect(publisher.acked.map((r) => r.seq)).toEqual([1, 1, 1]);
    expect(outbox.size()).toBe(2);

    expect(reporter.acknowledge(ackOf(jobId, 1))).toBe(true);
    await waitUntil(() => publisher.acked.some((r) => r.seq === 2));
    expect(reporter.acknowledge(ackOf(jobId, 2))).toBe(true);
    await reporter.flushed();
    expect(outbox.size()).toBe(0);
    expect(publisher.acked.map((r) => r.seq).filter((seq) => seq === 2)).toHaveLength(1);
  });

  it('ignores an ack for another client, another report or in a shape it does not know', async () => {
    const { reporter, jobId } = await openWithJob(10_000);
    const publisher = new FlakyPublisher();
    reporter.attach(publisher);
    await reporter.report(reportOf(jobId, 'received'));
    await waitUntil(() => publisher.acked.length === 1);
    expect(reporter.acknowledge(ackOf(jobId, 2))).toBe(false);
    expect(reporter.acknowledge(ackOf(randomUUID(), 1))).toBe(false);
    expect(
      reporter.acknowledge(JSON.parse(JSON.stringify(ackOf(jobId, 1)).replace('acme', 'other'))),
    ).toBe(false);
    expect(reporter.acknowledge('{"schema":"nope"}')).toBe(false);
    expect(reporter.acknowledge(ackOf(jobId, 1))).toBe(true);
    await reporter.flushed();
  });

  it('stops waiting when the link goes, and sends the report again when it is back', async () => {
    const { reporter, outbox, jobId } = await openWithJob(10_000);
    const publisher = new FlakyPublisher();
    reporter.attach(publisher);
    await reporter.report(reportOf(jobId, 'received'));
    await waitUntil(() => publisher.acked.length === 1);
    reporter.detach();
    await reporter.flushed();
    expect(outbox.size()).toBe(1);
    reporter.attach(publisher);
    await waitUntil(() => publisher.acked.length === 2);
    reporter.acknowledge(ackOf(jobId, 1));
    await reporter.flushed();
    expect(outbox.size()).toBe(0);
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
