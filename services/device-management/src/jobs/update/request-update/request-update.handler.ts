import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import type { Client } from '../../../clients/domain/client.decider';
import { EventStreams } from '../../../event-sourcing/event-streams';
import { endOf } from '../../job-kinds';
import { JobStreams } from '../../job-streams';
import { openJobOnClient, type JobOpening } from '../../open-job';
import { refusalOfRelease } from '../../../releases/domain/release.decider';
import { DomainError } from '../../../shared/domain/domain-error';
import type { CommandContext, IsoTimestamp } from '../../../shared/domain/domain-event';
import { updateJobStream } from '../../../shared/domain/stream-names';
import { decideUpdateJob } from '../domain/update-job.decider';
import { RequestUpdate, type RequestUpdateResult } from './request-update.command';

/**
 * Marks the client (ClientUpdateStarted at the client stream's revision: of two concurrent
 * requests only one can win) and opens the job stream with UpdateRequested, in one
 * transaction. The dispatcher picks the job up from the store; nothing here talks to MQTT.
 */
@CommandHandler(RequestUpdate)
export class RequestUpdateHandler implements ICommandHandler<RequestUpdate, RequestUpdateResult> {
  constructor(
    private readonly streams: EventStreams,
    private readonly jobs: JobStreams,
  ) {}

  async execute(command: RequestUpdate): Promise<RequestUpdateResult> {
    const { context, clientId } = command;
    const jobId = randomUUID();
    await openJobOnClient(
      this.streams,
      { context, clientId, jobStreamName: updateJobStream(context.tenantId, jobId) },
      updateJobOpening(command, jobId),
      (client) => this.settleIfOver(client, context),
    );
    return { jobId };
  }

  /**
   * The job in flight may have ended without its end reaching the client stream (a crash
   * between the two appends): record it now rather than block the client. True when freed.
   */
  private async settleIfOver(client: Client, context: CommandContext): Promise<boolean> {
    if (!client.updateInFlight) return false;
    const job = await this.jobs.load(context.tenantId, client.updateInFlight.jobId, 'update');
    if (!job || !endOf(job, new Date().toISOString())) return false;
    await this.jobs.settleOnClient(job, context, new Date().toISOString());
    return true;
  }
}

/**
 * How an update job opens on its client: the client's mark, and the job's first event. By
 * release, a client that does not meet the release (its constraints, no downgrade) is refused.
 */
export function updateJobOpening(
  { context, clientId, targetVersion, image, imageDigest, release, rollingBackFrom }: RequestUpdate,
  jobId: string,
): (client: Client, now: IsoTimestamp) => JobOpening {
  return (client, now) => {
    const refusal = release && refusalOfRelease(release, client);
    if (refusal) throw refusal;
    if (rollingBackFrom !== undefined && client.running?.image !== rollingBackFrom) {
      throw new DomainError(
        'release_changed',
        `client ${clientId} changed its release while its roll-back was being requested`,
        { clientId, ...(client.running ? { running: client.running.version } : {}) },
      );
    }
    return opening(client, now);
  };
  function opening(client: Client, now: IsoTimestamp): JobOpening {
    return {
      mark: { type: 'StartUpdate', data: { jobId, targetVersion, image, at: now } },
      open: decideUpdateJob(
        {
          type: 'RequestUpdate',
          data: {
            jobId,
            tenantId: context.tenantId,
            clientId,
            targetVersion,
            image,
            ...(imageDigest ? { imageDigest } : {}),
            ...(release ? { releaseId: release.releaseId } : {}),
            ...(release?.allowDowngrade ? { downgradeAllowed: true } : {}),
            ...(client.reportedVersion ? { fromVersion: client.reportedVersion } : {}),
            ...(client.running?.image ? { fromImage: client.running.image } : {}),
            requestedAt: now,
          },
        },
        null,
      ),
    };
  }
}
