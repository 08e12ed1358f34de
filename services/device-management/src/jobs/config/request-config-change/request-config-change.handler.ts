import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { validateOpcClientConfig } from '@opcfleet/contracts';
import { randomUUID } from 'node:crypto';
import { EventStreams } from '../../../event-sourcing/event-streams';
import type { Client } from '../../../clients/domain/client.decider';
import { openJobOnClient, type JobOpening } from '../../open-job';
import type { IsoTimestamp } from '../../../shared/domain/domain-event';
import { DomainError } from '../../../shared/domain/domain-error';
import { configJobStream } from '../../../shared/domain/stream-names';
import { decideConfigJob } from '../domain/config-job.decider';
import { RequestConfigChange } from './request-config-change.command';

/**
 * Claims the config version on the client stream (ClientConfigRequested at the stream's
 * revision: versions only grow, even under concurrent requests) and opens the job stream,
 * in one transaction.
 */
@CommandHandler(RequestConfigChange)
export class RequestConfigChangeHandler implements ICommandHandler<
  RequestConfigChange,
  { jobId: string }
> {
  constructor(private readonly streams: EventStreams) {}

  async execute(command: RequestConfigChange): Promise<{ jobId: string }> {
    const { context, clientId } = command;
    const jobId = randomUUID();
    await openJobOnClient(
      this.streams,
      { context, clientId, jobStreamName: configJobStream(context.tenantId, jobId) },
      configJobOpening(command, jobId),
    );
    return { jobId };
  }
}

/**
 * How a config job opens on its client: the claim of the version on the client stream, and
 * the job's first event. invalid_input when the settings do not match the schema.
 */
export function configJobOpening(
  { context, clientId, version, settings }: RequestConfigChange,
  jobId: string,
): (client: Client, now: IsoTimestamp) => JobOpening {
  // The DTO already checked this; commands may also come from elsewhere than HTTP.
  const valid = validateOpcClientConfig(settings);
  if (!valid.ok) {
    throw new DomainError('invalid_input', 'settings do not match the OPC client config schema', {
      fieldErrors: valid.errors.map((e) => ({ ...e, path: `settings.${e.path}` })),
    });
  }
  return (_client, now) => ({
    mark: { type: 'RequestConfig', data: { jobId, version, at: now } },
    open: decideConfigJob(
      {
        type: 'RequestConfigChange',
        // The parsed value: defaults of the schema filled in, unknown fields stripped.
        data: {
          jobId,
          tenantId: context.tenantId,
          clientId,
          version,
          settings: valid.value,
          requestedAt: now,
        },
      },
      null,
    ),
  });
}
