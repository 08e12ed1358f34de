import { commandTopic, type StatusReport, type UpdateCommand } from '@opcfleet/contracts';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { cancelCommandFor, configCommandFor, updateCommandFor } from '../../test/fixtures/commands';
import type { ConfigJobHandler, ConfigOutcome } from '../config-apply/config-decision';
import type { CancelOutcome } from '../update-machine/cancel-requests';
import { Inbox, type UpdateStarter } from './inbox';
import { JobLedger } from './job-ledger';
import { Outbox } from './outbox';
import { StatusReporter } from './status-reporter';

const address = { tenantId: 'acme', clientId: 'press-07' };
const logger = pino({ level: 'silent' });

class FakeRunner implements UpdateStarter {
  readonly started: UpdateCommand[] = [];
  readonly cancelled: string[] = [];
  refuseWith: string | null = null;
  cancelOutcome: CancelOutcome = { outcome: 'cancelled' };
  async requestCancel(jobId: string) {
    this.cancelled.push(jobId);
    return this.cancelOutcome;
  }
  async start(command: UpdateCommand) {
    if (this.refuseWith) return { accepted: false as const, reason: this.refuseWith };
    this.started.push(command);
    return { accepted: true as const };
  }
}

class FakeConfigs implements ConfigJobHandler {
  readonly applied: number[] = [];
  async apply(command: { payload: { version: number } }): Promise<ConfigOutcome> {
    this.applied.push(command.payload.version);
    return { phase: 'applied', configVersion: command.payload.version };
  }
}

describe('Inbox', () => {
  let dir: string;
  let runner: FakeRunner;
  let configs: FakeConfigs;
  let now: Date;

  async function open() {
    const ledger = await JobLedger.open(path.join(dir, 'jobs'));
    const outbox = await Outbox.open(path.join(dir, 'outbox'));
    const reporter = new StatusReporter({ address, ledger, outbox, logger });
    const inbox = new Inbox({
      address,
      ledger,
      reporter,
      updates: runner,
      configs,
      logger,
      now: () => now,
    });
    const reports = () => outbox.pending().map((e) => e.report);
    return { inbox, reporter, ledger, outbox, reports };
  }

  const send = (inbox: Inbox, kind: 'update' | 'config' | 'cancel', body: unknown) =>
    inbox.handle(
      commandTopic(address, kind),
      typeof body === 'string' ? body : JSON.stringify(body),
    );

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'inbox-'));
    runner = new FakeRunner();
    configs = new FakeConfigs();
    now = new Date('2026-11-23T10:00:00.000Z');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('runs an update once even when it is delivered twice, also across a restart', async () => {
    const command = updateCommandFor(address);
    const first = await open();
    await send(first.inbox, 'update', command);
    await first.reporter.report({
      jobKind: 'update',
      jobId: command.jobId,
      correlationId: 'c',
      phase: 'received',
      at: now.toISOString(),
    });

    const second = await open();
    await send(second.inbox, 'update', command);

    expect(runner.started.map((c) => c.jobId)).toEqual([command.jobId]);
    const resent = second.reports().filter((r) => r.jobId === command.jobId);
    expect(resent.map((r) => [r.seq, r.phase])).toEqual([
      [1, 'received'],
      [1, 'received'],
    ]);
    expect(resent[1].messageId).toBe(resent[0].messageId);
  });

  it('applies a config once and re-sends its outcome on a duplicate', async () => {
    const { inbox, reports } = await open();
    const command = configCommandFor(address, 3);
    await send(inbox, 'config', command);
    await send(inbox, 'config', command);
    expect(configs.applied).toEqual([3]);
    expect(reports().map((r) => [r.seq, r.phase])).toEqual([
      [1, 'received'],
      [2, 'applied'],
      [2, 'applied'],
    ]);
  });

  it('rejects an expired command without running it', async () => {
    const { inbox, reports } = await open();
    const command = updateCommandFor(address, { expiresAt: '2026-11-23T09:59:59.000Z' });
    await send(inbox, 'update', command);
    expect(runner.started).toEqual([]);
    const [report] = reports();
    expect(report).toMatchObject({
      jobId: command.jobId,
      seq: 1,
      phase: 'rejected',
      error: { code: 'expired' },
    });
  });

  describe('a device clock an hour off the service', () => {
    const HOUR = 3600_000;
    /** A command the service issued at `issuedMs` (its clock), valid for `lifetimeMs`. */
    const issued = (issuedMs: number, lifetimeMs: number) =>
      updateCommandFor(address, {
        issuedAt: new Date(issuedMs).toISOString(),
        expiresAt: new Date(issuedMs + lifetimeMs).toISOString(),
      });
    const sendWithExpiry = (inbox: Inbox, body: unknown, expiryIntervalSeconds?: number) =>
      inbox.handle(commandTopic(address, 'update'), JSON.stringify(body), {
        expiryIntervalSeconds,
      });

    it('runs a valid command the broker delivered over MQTT 5 with the clock an hour ahead', async () => {
      const { inbox, reports } = await open();
      const serviceNow = now.getTime() - HOUR;
      const command = issued(serviceNow - 60_000, 30 * 60_000);
      await sendWithExpiry(inbox, command, 29 * 60);
      expect(runner.started.map((c) => c.jobId)).toEqual([command.jobId]);
      expect(reports()).toEqual([]);
    });

    it('refuses, without MQTT 5 and with the clock an hour behind, a command that expired, once a command has shown the skew', async () => {
      const { inbox, reports } = await open();
      const serviceNow = now.getTime() + HOUR;
      const fresh = issued(serviceNow - 1000, 24 * HOUR);
      await sendWithExpiry(inbox, fresh);
      const stale = issued(serviceNow - 24 * HOUR - 30 * 60_000, 24 * HOUR);
      await sendWithExpiry(inbox, stale);
      expect(runner.started.map((c) => c.jobId)).toEqual([fresh.jobId]);
      expect(reports()).toEqual([
        expect.objectContaining({
          jobId: stale.jobId,
          phase: 'rejected',
          error: { code: 'expired', message: expect.stringContaining('expired') },
        }),
      ]);
    });

    it('judges a stored command that never started against the deadline it got when it arrived', async () => {
      const { inbox, reports } = await open();
      const command = issued(now.getTime() - 1000, 10 * 60_000);
      runner.start = async () => {
        throw new Error('engine socket gone');
      };
      expect(await sendWithExpiry(inbox, command, 120)).toBe('failed');
      now = new Date(now.getTime() + 3 * 60_000);
      runner.start = FakeRunner.prototype.start.bind(runner);
      await sendWithExpiry(inbox, command, 117);
      expect(runner.started).toEqual([]);
      expect(reports()).toEqual([
        expect.objectContaining({
          jobId: command.jobId,
          phase: 'rejected',
          error: expect.objectContaining({ code: 'expired' }),
        }),
      ]);
    });
  });

  it('reports the runner refusing a second update, with its reason', async () => {
    const { inbox, reports } = await open();
    runner.refuseWith = 'update 1234 is in progress (verifying)';
    const command = updateCommandFor(address);
    await send(inbox, 'update', command);
    expect(reports()).toEqual([
      expect.objectContaining({
        jobId: command.jobId,
        phase: 'rejected',
        error: { code: 'refused', message: 'update 1234 is in progress (verifying)' },
      }) as StatusReport,
    ]);
  });

  it.each([
    ['not JSON', 'update', '{"schema":'],
    ['a config on the update topic', 'update', configCommandFor(address, 1)],
    [
      'a command for another client',
      'update',
      updateCommandFor({ tenantId: 'acme', clientId: 'press-08' }),
    ],
    [
      'a command for another tenant',
      'config',
      configCommandFor({ tenantId: 'other', clientId: 'press-07' }, 1),
    ],
    [
      'an image that is not a reference',
      'update',
      { ...updateCommandFor(address), payload: { targetVersion: '1', image: 'NOT AN IMAGE' } },
    ],
  ] as const)('drops %s without reporting or running anything', async (_label, kind, body) => {
    const { inbox, reports, ledger } = await open();
    await send(inbox, kind, body);
    expect(runner.started).toEqual([]);
    expect(configs.applied).toEqual([]);
    expect(reports()).toEqual([]);
    expect(ledger.recent(10)).toEqual([]);
  });

  it('says "failed" when the runner throws, so the command is not acknowledged', async () => {
    const { inbox } = await open();
    runner.start = async () => {
      throw new Error('engine socket gone');
    };
    await expect(send(inbox, 'update', updateCommandFor(address))).resolves.toBe('failed');
    await expect(send(inbox, 'update', '{')).resolves.toBe('dropped');
  });

  it('drops messages on topics outside its own command tree', async () => {
    const { inbox, reports } = await open();
    const command = updateCommandFor({ tenantId: 'acme', clientId: 'press-08' });
    await inbox.handle(
      commandTopic({ tenantId: 'acme', clientId: 'press-08' }, 'update'),
      JSON.stringify(command),
    );
    await inbox.handle(
      'tenants/acme/clients/press-07/status',
      JSON.stringify(updateCommandFor(address)),
    );
    expect(runner.started).toEqual([]);
    expect(reports()).toEqual([]);
  });

  it('re-applies a config job a crash interrupted after "received"', async () => {
    const first = await open();
    const command = configCommandFor(address, 4, undefined, {
      expiresAt: '2026-11-23T10:05:00.000Z',
    });
    await first.ledger.admit({ kind: 'config', command }, now.toISOString());
    await first.reporter.report({
      jobKind: 'config',
      jobId: command.jobId,
      correlationId: command.correlationId,
      phase: 'received',
      at: now.toISOString(),
      configVersion: 4,
    });

    now = new Date('2026-11-23T12:00:00.000Z'); // past its expiry: begun in time, so finished
    const second = await open();
    await second.inbox.resumeUnfinished();
    expect(configs.applied).toEqual([4]);
    expect(second.reports().map((r) => [r.seq, r.phase])).toEqual([
      [1, 'received'],
      [2, 'applied'],
    ]);
  });

  describe('cancel', () => {
    it('remembers the cancel of a job not seen yet, and refuses its command when it comes', async () => {
      const first = await open();
      const command = updateCommandFor(address);
      expect(await send(first.inbox, 'cancel', cancelCommandFor(command, 'update'))).toBe(
        'handled',
      );
      expect(first.reports()).toEqual([]);
      // Across a restart: the ledger is on disk.
      const second = await open();
      await send(second.inbox, 'update', command);
      await send(second.inbox, 'update', command);
      expect(runner.started).toEqual([]);
      expect(runner.cancelled).toEqual([]);
      expect(second.reports().map((r) => [r.seq, r.phase, r.error?.code])).toEqual([
        [1, 'rejected', 'cancelled'],
        [1, 'rejected', 'cancelled'],
      ]);
    });

    it('refuses a config cancelled before it came, without applying it', async () => {
      const { inbox, reports } = await open();
      const command = configCommandFor(address, 4);
      await send(inbox, 'cancel', cancelCommandFor(command, 'config'));
      await send(inbox, 'config', command);
      expect(configs.applied).toEqual([]);
      expect(reports()).toEqual([
        expect.objectContaining({
          phase: 'rejected',
          error: expect.objectContaining({ code: 'cancelled' }),
        }),
      ]);
    });

    it('hands a running update to the runner once, however often the cancel comes', async () => {
      const { inbox, ledger } = await open();
      const command = updateCommandFor(address);
      await send(inbox, 'update', command);
      await send(inbox, 'cancel', cancelCommandFor(command, 'update'));
      await send(inbox, 'cancel', cancelCommandFor(command, 'update'));
      expect(runner.cancelled).toEqual([command.jobId]);
      expect(ledger.get(command.jobId)?.cancelledAt).toBe(now.toISOString());
    });

    it('hands the cancel over again after a restart, before the runner resumes', async () => {
      const first = await open();
      const command = updateCommandFor(address);
      await send(first.inbox, 'update', command);
      await first.reporter.report({
        jobKind: 'update',
        jobId: command.jobId,
        correlationId: 'c',
        phase: 'pulling',
        at: now.toISOString(),
      });
      runner.cancelOutcome = { outcome: 'pending' };
      await send(first.inbox, 'cancel', cancelCommandFor(command, 'update'));
      runner.cancelled.length = 0;
      const second = await open();
      await second.inbox.resumeUnfinished();
      expect(runner.cancelled).toEqual([command.jobId]);
    });

    it('leaves alone a job already over, a config being applied and an update past its swap', async () => {
      const { inbox, reporter, reports } = await open();
      const done = updateCommandFor(address);
      await send(inbox, 'update', done);
      await reporter.report({
        jobKind: 'update',
        jobId: done.jobId,
        correlationId: 'c',
        phase: 'committed',
        at: now.toISOString(),
      });
      await send(inbox, 'cancel', cancelCommandFor(done, 'update'));
      expect(runner.cancelled).toEqual([]);

      const swapping = updateCommandFor(address);
      await send(inbox, 'update', swapping);
      runner.cancelOutcome = { outcome: 'too_late', state: 'stopping_old' };
      await send(inbox, 'cancel', cancelCommandFor(swapping, 'update'));
      expect(runner.cancelled).toEqual([swapping.jobId]);
      expect(reports().filter((r) => r.jobId === swapping.jobId)).toEqual([]);
    });

    it('drops a cancel naming the other kind of job', async () => {
      const { inbox, ledger } = await open();
      const command = updateCommandFor(address);
      await send(inbox, 'update', command);
      await send(inbox, 'cancel', cancelCommandFor(command, 'config'));
      expect(runner.cancelled).toEqual([]);
      expect(ledger.get(command.jobId)?.cancelledAt).toBeUndefined();
    });
  });
});
