import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { retryOnConflict } from '../../event-sourcing/event-streams';
import { deterministicId } from '../../shared/domain/deterministic-id';
import { idName } from '../../shared/domain/stream-names';
import { decideJob } from '../job-kinds';
import { JobStreams } from '../job-streams';
import { TimeOutJob, type TimeOutJobResult } from './time-out-job.command';

@CommandHandler(TimeOutJob)
export class TimeOutJobHandler implements ICommandHandler<TimeOutJob, TimeOutJobResult> {
  constructor(private readonly jobs: JobStreams) {}

  async execute(command: TimeOutJob): Promise<TimeOutJobResult> {
    const at = (command.at ?? new Date()).toISOString();
    const outcome = await retryOnConflict(async (): Promise<TimeOutJobResult['outcome']> => {
      const job = await this.jobs.load(command.tenantId, command.jobId, command.jobKind);
      if (!job || job.kind !== command.jobKind) return 'unknown_job';
      const events = decideJob({ type: 'TimeOut', data: { at } }, job);
      if (events.length === 0) return 'not_applicable';
      await this.jobs.appendToJob(job, events, {
        context: {
          actor: 'system:job-timeouts',
          tenantId: job.state.request.tenantId,
          correlationId: job.origin?.correlationId ?? command.jobId,
        },
        eventIds: [deterministicId(idName(command.jobId, 'timed-out'))],
        at,
      });
      return 'timed_out';
    });
    return { outcome };
  }
}
