import {
  CANCEL_COMMAND_SCHEMA,
  commandTopic,
  validateCancelCommand,
  type CancelCommand,
  type FieldError,
} from '@opcfleet/contracts';
import type { CommittedEvent } from '../../event-sourcing/local-commits';
import { deterministicId } from '../../shared/domain/deterministic-id';
import { idName } from '../../shared/domain/stream-names';
import type { JobKind } from '../../shared/domain/domain-event';
import type { JobCancelledData } from '../domain/job-lifecycle.events';
import { kindCancelledBy } from '../job-kinds';
import { storedTraceparent, type JobCommand } from './job-command';

/** The cancel command of a job, ready to publish. */
export interface CancelJobCommand {
  jobKind: JobKind;
  jobId: string;
  topic: string;
  messageId: string;
  correlationId: string;
  traceparent?: string;
  expiresAt: Date;
  envelope: CancelCommand;
}

/** The stored event that cancelled a job (UpdateCancelled, ConfigCancelled...). */
export type CancelEvent = CommittedEvent<string, JobCancelledData>;

export const isJobCancel = <Event extends CommittedEvent>(
  event: Event,
): event is Event & CancelEvent => kindCancelledBy(event.type) !== undefined;

export type CancelCommandResult =
  { ok: true; command: CancelJobCommand } | { ok: false; errors: FieldError[] };

/**
 * Builds the cancel command of a job from its stored cancel event and the job's own command.
 * Nothing comes from the clock: a job is cancelled once, so its cancel command has one
 * messageId, however often it is published. It stays valid at least as long as the job's
 * command: a device that comes back must not get the job without its cancel.
 */
export function buildCancelCommand(
  cancel: CancelEvent,
  jobCommand: JobCommand,
  defaultExpiryMs: number,
): CancelCommandResult {
  const { jobId, at, reason } = cancel.data;
  const { tenantId, clientId, kind } = jobCommand;
  const expiresAt = new Date(
    Math.max(Date.parse(at) + defaultExpiryMs, jobCommand.expiresAt.getTime()),
  );
  const correlationId = cancel.metadata.correlationId ?? jobCommand.correlationId;
  const traceparent = storedTraceparent(cancel.metadata) ?? jobCommand.traceparent;
  const validated = validateCancelCommand({
    schema: CANCEL_COMMAND_SCHEMA,
    messageId: deterministicId(idName('cancel-command', jobId)),
    jobId,
    tenantId,
    clientId,
    correlationId,
    ...(traceparent && { traceparent }),
    issuedAt: at,
    expiresAt: expiresAt.toISOString(),
    payload: { jobKind: kind, ...(reason && { reason: reason.slice(0, 500) }) },
  });
  if (!validated.ok) return validated;
  return {
    ok: true,
    command: {
      jobKind: kind,
      jobId,
      topic: commandTopic({ tenantId, clientId }, 'cancel'),
      messageId: validated.value.messageId,
      correlationId,
      ...(traceparent && { traceparent }),
      expiresAt,
      envelope: validated.value,
    },
  };
}
