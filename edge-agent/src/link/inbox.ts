import {
  commandTopic,
  decodeCancelCommand,
  decodeConfigCommand,
  decodeUpdateCommand,
  parseTopic,
  type CancelCommand,
  type ClientAddress,
  type ConfigCommand,
  type StatusError,
  type UpdateCommand,
  type Validated,
} from '@opcfleet/contracts';
import type { Logger } from 'pino';
import type { ConfigJobHandler } from '../config-apply/config-decision';
import type { CancelOutcome } from '../update-machine/cancel-requests';
import type { JobLedger, JobRecord, LedgerCommand } from './job-ledger';
import { ServiceClock, type Delivery } from './service-clock';
import type { SessionConflict } from './session-takeover';
import type { StatusReporter } from './status-reporter';

/** The update runner as the inbox sees it: it refuses a job with a reason (busy, ...). */
export interface UpdateStarter {
  start(command: UpdateCommand): Promise<{ accepted: true } | { accepted: false; reason: string }>;
  /** Stops a job before the swap, if it is not too late (see UpdateJobRunner.requestCancel). */
  requestCancel(jobId: string): Promise<CancelOutcome>;
}

/** A decoded command: a job to run, or the cancel of one. */
type InboxEntry = LedgerCommand | { kind: 'cancel'; command: CancelCommand };

/**
 * Where each command delivered on `commands/#` goes. Malformed or misaddressed messages are
 * logged and dropped; a job seen before is not run again (its last report is sent again); an
 * expired one is rejected; the rest go to the update runner or to config apply. A cancel
 * stops an update before its swap, or is remembered so that the job's command, if it comes
 * later, is refused. Nothing here throws: a message can never take the agent down.
 */
export class Inbox {
  constructor(
    private readonly deps: {
      address: ClientAddress;
      ledger: JobLedger;
      reporter: StatusReporter;
      updates: UpdateStarter;
      configs: ConfigJobHandler;
      logger: Logger;
      now?: () => Date;
      /** Judges expiry (and learns the device's clock skew); by default one on `now`. */
      serviceClock?: ServiceClock;
      /** While another agent takes this identity's MQTT session, new jobs are refused. */
      sessionConflict?: () => SessionConflict | null;
    },
  ) {
    this.serviceClock =
      deps.serviceClock ??
      new ServiceClock({ wall: () => this.now().getTime(), monotonic: () => performance.now() });
  }

  private readonly serviceClock: ServiceClock;

  /**
   * `failed`: the command could not be stored or handed over (disk, runner error); the link
   * then withholds the PUBACK so the broker delivers it again after a reconnect.
   */
  async handle(
    topic: string,
    payload: Uint8Array | string,
    delivery: Delivery = {},
  ): Promise<'handled' | 'dropped' | 'failed'> {
    try {
      const entry = this.decode(topic, payload);
      if (!entry) return 'dropped';
      await this.accept(entry, delivery);
      return 'handled';
    } catch (err) {
      this.deps.logger.error({ err, topic }, 'command handling failed');
      return 'failed';
    }
  }

  /**
   * On start: config jobs a crash interrupted are applied again (update jobs resume in the
   * runner); cancels of unfinished updates go to the runner again, before it resumes them.
   */
  async resumeUnfinished(): Promise<void> {
    for (const record of this.deps.ledger.unfinished()) {
      if (record.kind === 'update' && record.cancelledAt) {
        const result = await this.deps.updates.requestCancel(record.jobId);
        this.deps.logger.info({ jobId: record.jobId, ...result }, 'cancel handed over again');
      }
      if (record.kind !== 'config' || !record.command) continue;
      this.deps.logger.info({ jobId: record.jobId }, 'resuming interrupted config job');
      await this.handle(commandTopic(this.deps.address, 'config'), JSON.stringify(record.command));
    }
  }

  private decode(topic: string, payload: Uint8Array | string): InboxEntry | null {
    const { address, logger } = this.deps;
    const parsed = parseTopic(topic);
    if (!parsed || !sameAddress(parsed, address) || !parsed.channel.startsWith('commands/')) {
      logger.warn({ topic }, 'dropped a message on a topic that is not one of our command topics');
      return null;
    }
    const kind = parsed.channel.slice('commands/'.length) as InboxEntry['kind'];
    const decoded: Validated<InboxEntry['command']> =
      kind === 'update'
        ? decodeUpdateCommand(payload)
        : kind === 'cancel'
          ? decodeCancelCommand(payload)
          : decodeConfigCommand(payload);
    if (!decoded.ok) {
      logger.warn({ topic, errors: decoded.errors }, 'dropped a malformed command');
      return null;
    }
    const command = decoded.value;
    if (!sameAddress(command, address)) {
      logger.warn(
        { topic, jobId: command.jobId, tenantId: command.tenantId, clientId: command.clientId },
        'dropped a command addressed to another client',
      );
      return null;
    }
    return { kind, command } as InboxEntry;
  }

  private async accept(entry: InboxEntry, delivery: Delivery): Promise<void> {
    const { ledger, reporter, logger } = this.deps;
    const { jobId, correlationId } = entry.command;
    const log = logger.child({ jobId, correlationId });
    const seen = ledger.get(jobId);
    const kind = entry.kind === 'cancel' ? entry.command.payload.jobKind : entry.kind;
    if (seen && seen.kind !== kind) {
      log.warn({ kind, seenKind: seen.kind }, 'dropped a command reusing the id of another job');
      return;
    }
    if (entry.kind === 'cancel') return this.cancel(entry.command, seen, log);
    if (seen?.cancelledAt && seen.lastSeq === 0) {
      // The cancel came first (or a crash kept the runner from ever taking the job).
      log.warn({ cancelledAt: seen.cancelledAt }, 'refused a command for a cancelled job');
      await this.reject(entry, {
        code: 'cancelled',
        message: `job was cancelled at ${seen.cancelledAt}`,
      });
      return;
    }
    if (seen && !this.mustRunAgain(seen)) {
      log.info({ lastSeq: seen.lastSeq }, 'duplicate command: sending its last report again');
      await reporter.resendLast(jobId);
      return;
    }
    const conflict = this.deps.sessionConflict?.();
    if (conflict) {
      if (!seen) await ledger.admit(entry, this.nowIso());
      log.error(
        { since: conflict.since, takeovers: conflict.takeovers },
        'refused a job: another agent holds this identity',
      );
      await this.reject(entry, {
        code: 'identity_conflict',
        message: `another agent is connected with this device's identity (its MQTT session was taken over ${conflict.takeovers} times since ${conflict.since}); the job is refused so that two agents never run jobs at once: stop the other agent, then request the job again`,
      });
      return;
    }
    // Expiry is about starting a job: one begun in time is finished (its files may be half-written).
    const expired = seen ? this.expiredSince(seen) : await this.admitIfFresh(entry, delivery);
    if (expired) {
      log.warn(
        { expiresAt: entry.command.expiresAt, reason: expired },
        'rejected an expired command',
      );
      await this.reject(entry, { code: 'expired', message: expired });
      return;
    }
    if (entry.kind === 'update') await this.startUpdate(entry.command, log, Boolean(seen));
    else await this.applyConfig(entry.command, log, seen);
  }

  /**
   * A cancel: remembered (durably, before the PUBACK) for a job not seen yet; handed to the
   * runner for an update that runs, which stops it if nothing has changed yet. Anything else
   * carries on and its own reports tell the service what happened.
   */
  private async cancel(
    command: CancelCommand,
    seen: JobRecord | undefined,
    log: Logger,
  ): Promise<void> {
    const { ledger, updates } = this.deps;
    const { jobId, payload } = command;
    const at = this.nowIso();
    if (seen?.cancelledAt) {
      log.info({ cancelledAt: seen.cancelledAt }, 'duplicate cancel ignored');
      return;
    }
    if (!seen) {
      await ledger.markCancelled(jobId, payload.jobKind, at);
      log.info(
        { reason: payload.reason },
        'cancel for a job not received yet: its command will be refused',
      );
      return;
    }
    if (seen.finished) {
      log.info({ lastPhase: seen.lastReport?.phase }, 'cancel ignored: the job has already ended');
      return;
    }
    if (seen.kind === 'config') {
      log.info('cancel ignored: a config is applied in one step once received');
      return;
    }
    await ledger.markCancelled(jobId, 'update', at);
    const result = await updates.requestCancel(jobId);
    switch (result.outcome) {
      case 'cancelled':
        log.info({ reason: payload.reason }, 'update stopped before the swap: cancelled');
        return;
      case 'pending':
        log.info('update will stop as soon as it resumes: cancelled');
        return;
      case 'too_late':
        log.info(
          { state: result.state },
          'cancel ignored: the update is past the point of no return or over',
        );
        return;
      case 'unknown':
        // Stored but never taken by the runner (a crash in between): it will never run now.
        log.info('update never started: refused as cancelled');
        if (seen.command && seen.lastSeq === 0) {
          await this.reject(
            { kind: 'update', command: seen.command as UpdateCommand },
            { code: 'cancelled', message: `job was cancelled at ${at}` },
          );
        }
    }
  }

  /** Stores a command seen for the first time; why it is expired, or null when it is not. */
  private async admitIfFresh(entry: LedgerCommand, delivery: Delivery): Promise<string | null> {
    const verdict = this.serviceClock.judge(entry.command, delivery);
    await this.deps.ledger.admit(
      entry,
      this.nowIso(),
      verdict.fresh ? verdict.validUntil : undefined,
    );
    return verdict.fresh ? null : verdict.reason;
  }

  /** A job stored before that never started: is it still in time, by the verdict at its arrival? */
  private expiredSince(seen: JobRecord): string | null {
    if (seen.lastSeq > 0 || !seen.validUntil) return null;
    if (Date.parse(seen.validUntil) > this.now().getTime()) return null;
    return `command expired: it could start on this device until ${seen.validUntil}`;
  }

  /**
   * A job seen before runs again only when a crash cut it short before anything was reported
   * (update: the runner never took it) or before its outcome (config: applying is idempotent).
   */
  private mustRunAgain(seen: JobRecord): boolean {
    if (seen.finished) return false;
    return seen.kind === 'config' || seen.lastSeq === 0;
  }

  private async startUpdate(command: UpdateCommand, log: Logger, retry: boolean): Promise<void> {
    const result = await this.deps.updates.start(command);
    if (result.accepted) {
      log.info({ image: command.payload.image }, 'update accepted');
      return;
    }
    if (retry) {
      // The runner may hold this very job already (it resumes from its own snapshots).
      log.info({ reason: result.reason }, 'repeated update not restarted');
      return;
    }
    log.warn({ reason: result.reason }, 'update refused');
    await this.reject({ kind: 'update', command }, { code: 'refused', message: result.reason });
  }

  private async applyConfig(
    command: ConfigCommand,
    log: Logger,
    seen: JobRecord | undefined,
  ): Promise<void> {
    const { reporter, configs } = this.deps;
    const base = {
      jobKind: 'config' as const,
      jobId: command.jobId,
      correlationId: command.correlationId,
      ...(command.traceparent && { traceparent: command.traceparent }),
      configVersion: command.payload.version,
    };
    if (!seen || seen.lastSeq === 0)
      await reporter.report({ ...base, phase: 'received', at: this.nowIso() });
    const outcome = await configs.apply(command);
    if (outcome.phase === 'applied')
      log.info({ configVersion: outcome.configVersion }, 'config applied');
    else
      log.warn({ configVersion: outcome.configVersion, error: outcome.error }, 'config rejected');
    await reporter.report({
      ...base,
      phase: outcome.phase,
      at: this.nowIso(),
      error: outcome.phase === 'rejected' ? outcome.error : undefined,
    });
  }

  private async reject(entry: LedgerCommand, error: StatusError): Promise<void> {
    const common = {
      jobId: entry.command.jobId,
      correlationId: entry.command.correlationId,
      ...(entry.command.traceparent && { traceparent: entry.command.traceparent }),
      phase: 'rejected' as const,
      at: this.nowIso(),
      error,
    };
    await this.deps.reporter.report(
      entry.kind === 'update'
        ? { ...common, jobKind: 'update' }
        : { ...common, jobKind: 'config', configVersion: entry.command.payload.version },
    );
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  private nowIso(): string {
    return this.now().toISOString();
  }
}

const sameAddress = (a: ClientAddress, b: ClientAddress) =>
  a.tenantId === b.tenantId && a.clientId === b.clientId;
