import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { decideConfigJob } from '../../config-jobs/domain/config-job.decider';
import { retryOnConflict } from '../../event-sourcing/event-streams';
import { deterministicId } from '../../shared/domain/deterministic-id';
import type { CommandContext } from '../../shared/domain/domain-event';
import { decideUpdateJob } from '../../update-jobs/domain/update-job.decider';
import { JobStreams } from '../job-streams';
import { IngestStatusReport, type IngestStatusReportResult } from './ingest-status-report.command';

@CommandHandler(IngestStatusReport)
export class IngestStatusReportHandler implements ICommandHandler<
  IngestStatusReport,
  IngestStatusReportResult
> {
  constructor(private readonly jobs: JobStreams) {}

  execute({
    report,
    topicTenantId,
    topicClientId,
  }: IngestStatusReport): Promise<IngestStatusReportResult> {
    const context: CommandContext = {
      actor: `device:${topicClientId}`,
      tenantId: topicTenantId,
      correlationId: report.correlationId,
      causationId: report.messageId,
    };
    // A concurrent duplicate loses the append, reloads, finds its seq and answers duplicate.
    return retryOnConflict(async (): Promise<IngestStatusReportResult> => {
      const job = await this.jobs.load(report.jobId, report.jobKind);
      if (!job) return { outcome: 'rejected', reason: 'unknown_job' };
      const { tenantId, clientId } = job.state.request;
      // A report counts only on the job's own topic and with the job's own envelope ids.
      if (
        tenantId !== topicTenantId ||
        clientId !== topicClientId ||
        report.tenantId !== tenantId ||
        report.clientId !== clientId
      ) {
        return { outcome: 'rejected', reason: 'topic_mismatch' };
      }
      const decision = { type: 'IngestReport' as const, data: { report } };
      const events =
        job.kind === 'update'
          ? decideUpdateJob(decision, job.state)
          : decideConfigJob(decision, job.state);
      if (events.length === 0) return { outcome: 'duplicate' };
      await this.jobs.appendToJob(job, events, {
        context,
        eventIds: [deterministicId(`${report.jobId}:report:${report.seq}`)],
        at: report.at,
      });
      const [event] = events;
      return event.type === 'StatusReportIgnored'
        ? { outcome: 'ignored', reason: event.data.reason }
        : { outcome: 'applied', eventType: event.type };
    });
  }
}
