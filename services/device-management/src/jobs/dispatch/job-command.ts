import {
  commandTopic,
  type ConfigCommand,
  isCanonicalTraceparent,
  type FieldError,
  type UpdateCommand,
} from '@opcfleet/contracts';
import type { CommittedEvent } from '../../event-sourcing/local-commits';
import { deterministicId } from '../../shared/domain/deterministic-id';
import type { JobKind } from '../../shared/domain/domain-event';
import { idName } from '../../shared/domain/stream-names';
import type { JobRequestFacts } from '../domain/job-kind';
import { kindRequestedBy } from '../job-kinds';

/** The trace context stored in an event's metadata, if it is a valid one. */
export const storedTraceparent = (metadata: Record<string, unknown>): string | undefined =>
  typeof metadata.traceparent === 'string' && isCanonicalTraceparent(metadata.traceparent)
    ? metadata.traceparent
    : undefined;

/** The command a job sends to its device, ready to publish. */
export interface JobCommand {
  kind: JobKind;
  jobId: string;
  tenantId: string;
  clientId: string;
  topic: string;
  messageId: string;
  correlationId: string;
  /** The trace context of the request, as the envelope carries it to the device. */
  traceparent?: string;
  expiresAt: Date;
  envelope: UpdateCommand | ConfigCommand;
}

export type JobCommandResult =
  { ok: true; command: JobCommand } | { ok: false; errors: FieldError[] };

/** The stored event that opened a job (UpdateRequested, ConfigChangeRequested...). */
type RequestEvent = CommittedEvent<string, JobRequestFacts>;

export const isJobRequest = <Event extends CommittedEvent>(
  event: Event,
): event is Event & RequestEvent => kindRequestedBy(event.type) !== undefined;

/**
 * Builds the contracts envelope for the event that requested a job. Everything comes from the
 * stored event, nothing from the clock: dispatching the same job again publishes the same
 * bytes with the same messageId, so the device recognises a redelivery.
 */
export function buildJobCommand(request: RequestEvent, defaultExpiryMs: number): JobCommandResult {
  const { jobId, tenantId, clientId, requestedAt } = request.data;
  const messageId = deterministicId(idName('command', request.id));
  const correlationId = request.metadata.correlationId ?? jobId;
  const traceparent = storedTraceparent(request.metadata);
  const expiresAt =
    request.data.expiresAt ?? new Date(Date.parse(requestedAt) + defaultExpiryMs).toISOString();
  const common = {
    messageId,
    jobId,
    tenantId,
    clientId,
    correlationId,
    issuedAt: requestedAt,
    expiresAt,
    // The request's, not the dispatch's: a command published again stays the same bytes.
    ...(traceparent && { traceparent }),
    // The status ingestor acks every report it holds: the device keeps each until then.
    reportAcks: 'v1' as const,
  };
  const { kind, deviceCommand } = kindRequestedBy(request.type)!;
  const validated = deviceCommand(request.data, common);
  if (!validated.ok) return validated;
  return {
    ok: true,
    command: {
      kind,
      jobId,
      tenantId,
      clientId,
      topic: commandTopic({ tenantId, clientId }, kind),
      messageId,
      correlationId,
      ...(traceparent && { traceparent }),
      expiresAt: new Date(expiresAt),
      envelope: validated.value,
    },
  };
}
