import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { JobBatchWriter } from '../job-batch/job-batch.writer';
import {
  RecordCommandDispatched,
  type RecordCommandDispatchedResult,
} from './record-command-dispatched.command';

/**
 * Records the publish on the job's stream through the batch writer, with the reports arriving
 * at the same time: dispatches and reports of one job never race each other, and thousands of
 * dispatches cost a few statements.
 */
@CommandHandler(RecordCommandDispatched)
export class RecordCommandDispatchedHandler implements ICommandHandler<
  RecordCommandDispatched,
  RecordCommandDispatchedResult
> {
  constructor(private readonly batches: JobBatchWriter) {}

  execute(command: RecordCommandDispatched): Promise<RecordCommandDispatchedResult> {
    const { jobKind, tenantId, jobId, messageId, topic, correlationId, traceparent } = command;
    return this.batches.recordDispatch({
      dispatch: {
        jobKind,
        tenantId,
        jobId,
        messageId,
        topic,
        at: (command.dispatchedAt ?? new Date()).toISOString(),
        ...(correlationId ? { correlationId } : {}),
        ...(traceparent ? { traceparent } : {}),
      },
    });
  }
}
