import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { IngestStatusReport, type IngestStatusReportResult } from './ingest-status-report.command';
import { JobBatchWriter } from '../job-batch/job-batch.writer';

/**
 * Hands the report to the batch writer: the reports arriving together are stored together
 * (group commit), each decided as if alone and answered on its own.
 */
@CommandHandler(IngestStatusReport)
export class IngestStatusReportHandler implements ICommandHandler<
  IngestStatusReport,
  IngestStatusReportResult
> {
  constructor(private readonly batches: JobBatchWriter) {}

  execute(command: IngestStatusReport): Promise<IngestStatusReportResult> {
    return this.batches.ingest(command);
  }
}
