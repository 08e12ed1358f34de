import { CommandBus, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { EventStreams } from '../../event-sourcing/event-streams';
import { ReleaseStreams } from '../../releases/release-streams';
import { mapConcurrently } from '../../shared/map-concurrently';
import { configJobStream, updateJobStream } from '../../shared/domain/stream-names';
import { configJobOpening } from '../config/request-config-change/request-config-change.handler';
import { RequestConfigChange } from '../config/request-config-change/request-config-change.command';
import { openJobsOnClients, type JobToOpen } from '../open-job';
import { updateJobOpening } from '../update/request-update/request-update.handler';
import type { RequestUpdate } from '../update/request-update/request-update.command';
import { RequestJobs, type RequestJobsResult } from './request-jobs.command';

/** Requests of a wave that could not open with the others, sent alone this many at once. */
const ALONE_AT_ONCE = 4;

/**
 * Opens the jobs of many requests with one read of their clients and one atomic append
 * (`openJobsOnClients`): a wave of 1,000 jobs costs a few statements, not thousands. A request
 * the batch could not take (its client busy or unknown, a stream that moved) is sent again
 * alone, as RequestUpdate or RequestConfigChange, whose handler settles a job that ended
 * unseen, retries on conflicts and answers with the refusal.
 */
@CommandHandler(RequestJobs)
export class RequestJobsHandler implements ICommandHandler<RequestJobs, RequestJobsResult> {
  constructor(
    private readonly streams: EventStreams,
    private readonly commands: CommandBus,
    private readonly releases: ReleaseStreams,
  ) {}

  async execute({ requests }: RequestJobs): Promise<RequestJobsResult> {
    const results: RequestJobsResult = new Array(requests.length);
    const jobs: Array<JobToOpen & { index: number; jobId: string }> = [];
    const refusals = await this.releaseRefusals(requests);
    requests.forEach((request, index) => {
      const jobId = randomUUID();
      try {
        const refusal = refusals.get(releaseIdOf(request) ?? '');
        if (refusal) throw refusal;
        jobs.push({ index, jobId, ...jobToOpen(request, jobId) });
      } catch (error) {
        results[index] = error as Error;
      }
    });
    const opened = await openJobsOnClients(this.streams, jobs);
    const alone: number[] = [];
    jobs.forEach(({ index, jobId }, at) => {
      if (opened[at]) results[index] = { jobId };
      else alone.push(index);
    });
    await mapConcurrently(alone, ALONE_AT_ONCE, async (index) => {
      try {
        results[index] = await this.commands.execute<(typeof requests)[number], { jobId: string }>(
          requests[index],
        );
      } catch (error) {
        results[index] = error as Error;
      }
    });
    return results;
  }

  /**
   * Why no job may install each release the requests name (withdrawn since the rollout
   * started, say), by release id: each release read once for the wave.
   */
  private async releaseRefusals(requests: RequestJobs['requests']): Promise<Map<string, Error>> {
    const refusals = new Map<string, Error>();
    const releaseIds = new Set(requests.map(releaseIdOf).filter((id) => id !== undefined));
    for (const releaseId of releaseIds) {
      const { tenantId } = requests.find((request) => releaseIdOf(request) === releaseId)!.context;
      await this.releases.installable(tenantId, releaseId).catch((error: Error) => {
        refusals.set(releaseId, error);
      });
    }
    return refusals;
  }
}

const releaseIdOf = (request: RequestUpdate | RequestConfigChange) =>
  request instanceof RequestConfigChange ? undefined : request.release?.releaseId;

/** The opening of a request's job (invalid_input for a config that is not valid). */
function jobToOpen(request: RequestUpdate | RequestConfigChange, jobId: string): JobToOpen {
  const { context, clientId } = request;
  return request instanceof RequestConfigChange
    ? {
        context,
        clientId,
        jobStreamName: configJobStream(context.tenantId, jobId),
        decide: configJobOpening(request, jobId),
      }
    : {
        context,
        clientId,
        jobStreamName: updateJobStream(context.tenantId, jobId),
        decide: updateJobOpening(request, jobId),
      };
}
