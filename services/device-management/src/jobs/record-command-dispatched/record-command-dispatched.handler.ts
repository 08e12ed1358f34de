import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { decideConfigJob } from '../../config-jobs/domain/config-job.decider';
import { EventStreams, retryOnConflict } from '../../event-sourcing/event-streams';
import { deterministicId } from '../../shared/domain/deterministic-id';
import { idName } from '../../shared/domain/stream-names';
import { decideUpdateJob } from '../../update-jobs/domain/update-job.decider';
import { JobStreams } from '../job-streams';
import {
  RecordCommandDispatched,
  type RecordCommandDispatchedResult,
} from './record-command-dispatched.command';

@CommandHandler(RecordCommandDispatched)
export class RecordCommandDispatchedHandler implements ICommandHandler<
  RecordCommandDispatched,
  RecordCommandDispatchedResult
> {
  constructor(
    private readonly jobs: JobStreams,
    private readonly streams: EventStreams,
  ) {}

  execute(command: RecordCommandDispatched): Promise<RecordCommandDispatchedResult> {
    return retryOnConflict(async () => {
      const job = await this.jobs.load(command.tenantId, command.jobId, command.jobKind);
      if (!job || job.kind !== command.jobKind) return { outcome: 'ignored' };
      const decision = {
        type: 'RecordDispatch' as const,
        data: {
          messageId: command.messageId,
          topic: command.topic,
          at: (command.dispatchedAt ?? new Date()).toISOString(),
        },
      };
      const events =
        job.kind === 'update'
          ? decideUpdateJob(decision, job.state)
          : decideConfigJob(decision, job.state);
      if (events.length === 0) {
        return {
          outcome: job.state.dispatchedMessageIds.includes(command.messageId)
            ? 'duplicate'
            : 'ignored',
        };
      }
      await this.streams.append(job.streamName, events, {
        expectedRevision: job.expectedRevision,
        known: { state: job.state },
        eventIds: [deterministicId(idName(command.jobId, 'dispatched', command.messageId))],
        context: {
          actor: 'system:dispatcher',
          tenantId: job.state.request.tenantId,
          correlationId: command.correlationId ?? job.origin?.correlationId ?? command.jobId,
          causationId: command.messageId,
        },
      });
      return { outcome: 'recorded' };
    });
  }
}
