import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { validateOpcClientConfig } from '@opcfleet/contracts';
import { randomUUID } from 'node:crypto';
import { EventStreams } from '../../../event-sourcing/event-streams';
import { openJobOnClient } from '../../open-job';
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

  async execute({
    context,
    clientId,
    version,
    settings,
  }: RequestConfigChange): Promise<{ jobId: string }> {
    // The DTO already checked this; commands may also come from elsewhere than HTTP.
    const valid = validateOpcClientConfig(settings);
    if (!valid.ok) {
      throw new DomainError('invalid_input', 'settings do not match the OPC client config schema', {
        fieldErrors: valid.errors.map((e) => ({ ...e, path: `settings.${e.path}` })),
      });
    }
    const jobId = randomUUID();
    await openJobOnClient(
      this.streams,
      { context, clientId, jobStreamName: configJobStream(context.tenantId, jobId) },
      (_client, now) => ({
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
      }),
    );
    return { jobId };
  }
}
