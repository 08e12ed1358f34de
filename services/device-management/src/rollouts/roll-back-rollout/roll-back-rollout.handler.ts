import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { EventStore } from '@opcfleet/event-store';
import { EVENT_STORE } from '../../event-sourcing/event-store.token';
import { retryOnConflict } from '../../event-sourcing/event-streams';
import { foldUpdateJob } from '../../jobs/update/domain/update-job.decider';
import type { UpdateJobEvent } from '../../jobs/update/domain/update-job.events';
import { jobStream } from '../../shared/domain/stream-names';
import {
  decideRollout,
  evolveRollout,
  isFailure,
  type FailedJobRelease,
  type Rollout,
} from '../domain/rollout.decider';
import { RolloutStreams } from '../rollout-streams';
import { RollBackRollout, type RollBackRolloutResult } from './roll-back-rollout.command';

/**
 * Reads what each failed target's job recorded (the release the client ran when it was
 * requested, the version the device last reported) and lets the rollout decide whom to roll
 * back; the driver then opens the roll-back jobs.
 */
@CommandHandler(RollBackRollout)
export class RollBackRolloutHandler implements ICommandHandler<
  RollBackRollout,
  RollBackRolloutResult
> {
  constructor(
    private readonly rollouts: RolloutStreams,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  execute({ context, rolloutId, reason }: RollBackRollout): Promise<RollBackRolloutResult> {
    return retryOnConflict(async () => {
      const { state, expectedRevision } = await this.rollouts.loadOfTenant(
        context.tenantId,
        rolloutId,
      );
      const releases = await this.releasesOfFailedJobs(state);
      const at = new Date().toISOString();
      const events = decideRollout(
        { type: 'RollBackRollout', data: { at, releases, ...(reason ? { reason } : {}) } },
        state,
      );
      await this.rollouts.append(state, events, { expectedRevision, context });
      return { rolloutId, status: events.reduce(evolveRollout, state)!.status };
    });
  }

  /** One read of the streams of every failed target's job. */
  private async releasesOfFailedJobs(rollout: Rollout): Promise<Map<string, FailedJobRelease>> {
    const { tenantId, targets } = rollout.request;
    const failedJobs = new Map<string, string>();
    for (const clientId of targets) {
      const entry = rollout.clients.get(clientId);
      if (entry?.jobId && isFailure(entry.outcome)) failedJobs.set(clientId, entry.jobId);
    }
    const streamOf = (jobId: string) => jobStream('update', tenantId, jobId);
    const streams = await this.store.readStreams([...failedJobs.values()].map(streamOf));
    const releases = new Map<string, FailedJobRelease>();
    for (const [clientId, jobId] of failedJobs) {
      const events = (streams.get(streamOf(jobId)) ?? []).map(
        ({ type, data }) => ({ type, data }) as UpdateJobEvent,
      );
      const job = foldUpdateJob(events);
      if (!job) continue;
      const { fromVersion, fromImage } = job.request;
      releases.set(clientId, {
        ...(fromVersion ? { fromVersion } : {}),
        ...(fromImage ? { fromImage } : {}),
        ...(job.reportedVersion ? { reportedVersion: job.reportedVersion } : {}),
      });
    }
    return releases;
  }
}
