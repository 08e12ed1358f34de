import {
  CONFIG_COMMAND_SCHEMA,
  UPDATE_COMMAND_SCHEMA,
  commandTopic,
  validateConfigCommand,
  validateUpdateCommand,
  type ConfigCommand,
  type FieldError,
  type UpdateCommand,
} from '@opcfleet/contracts';
import type { ConfigChangeRequested } from '../config/domain/config-job.events';
import type { CommittedEvent } from '../../event-sourcing/local-commits';
import { deterministicId } from '../../shared/domain/deterministic-id';
import { idName } from '../../shared/domain/stream-names';
import type { JobKind } from '../../shared/domain/domain-event';
import type { UpdateRequested } from '../update/domain/update-job.events';

/** The command a job sends to its device, ready to publish. */
export interface JobCommand {
  kind: JobKind;
  jobId: string;
  tenantId: string;
  clientId: string;
  topic: string;
  messageId: string;
  correlationId: string;
  expiresAt: Date;
  envelope: UpdateCommand | ConfigCommand;
}

export type JobCommandResult =
  { ok: true; command: JobCommand } | { ok: false; errors: FieldError[] };

type RequestEvent =
  | CommittedEvent<'UpdateRequested', UpdateRequested['data']>
  | CommittedEvent<'ConfigChangeRequested', ConfigChangeRequested['data']>;

export const isJobRequest = <Event extends CommittedEvent>(
  event: Event,
): event is Event & RequestEvent =>
  event.type === 'UpdateRequested' || event.type === 'ConfigChangeRequested';

/**
 * Builds the contracts envelope for the event that requested a job. Everything comes from the
 * stored event, nothing from the clock: dispatching the same job again publishes the same
 * bytes with the same messageId, so the device recognises a redelivery.
 */
export function buildJobCommand(request: RequestEvent, defaultExpiryMs: number): JobCommandResult {
  const { jobId, tenantId, clientId, requestedAt } = request.data;
  const messageId = deterministicId(idName('command', request.id));
  const correlationId = request.metadata.correlationId ?? jobId;
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
  };
  const validated =
    request.type === 'UpdateRequested'
      ? validateUpdateCommand({
          schema: UPDATE_COMMAND_SCHEMA,
          ...common,
          payload: {
            targetVersion: request.data.targetVersion,
            image: request.data.image,
            ...(request.data.imageDigest && { imageDigest: request.data.imageDigest }),
          },
        })
      : validateConfigCommand({
          schema: CONFIG_COMMAND_SCHEMA,
          ...common,
          payload: { version: request.data.version, settings: request.data.settings },
        });
  if (!validated.ok) return validated;
  const kind: JobKind = request.type === 'UpdateRequested' ? 'update' : 'config';
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
      expiresAt: new Date(expiresAt),
      envelope: validated.value,
    },
  };
}
