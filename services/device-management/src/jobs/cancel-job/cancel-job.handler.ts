import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { PERMISSIONS } from '../../auth/principal';
import { retryOnConflict } from '../../event-sourcing/event-streams';
import { DomainError, notFound } from '../../shared/domain/domain-error';
import { decideJob, jobKind } from '../job-kinds';
import { JobStreams } from '../job-streams';
import { CancelJob } from './cancel-job.command';

@CommandHandler(CancelJob)
export class CancelJobHandler implements ICommandHandler<
  CancelJob,
  { jobId: string; status: string }
> {
  constructor(private readonly jobs: JobStreams) {}

  async execute({
    context,
    roles,
    jobId,
    reason,
  }: CancelJob): Promise<{ jobId: string; status: string }> {
    const at = new Date().toISOString();
    await retryOnConflict(async () => {
      const job = await this.jobs.load(context.tenantId, jobId);
      if (!job) throw notFound('job', jobId);
      const needed = PERMISSIONS[jobKind(job.kind).permission];
      if (!roles.some((role) => (needed as readonly string[]).includes(role))) {
        throw new DomainError(
          'forbidden',
          `cancelling a ${job.kind} job needs one of the roles ${needed.join(', ')}`,
        );
      }
      const cancel = { type: 'Cancel' as const, data: { at, ...(reason ? { reason } : {}) } };
      const events = decideJob(cancel, job);
      await this.jobs.appendToJob(job, events, { context, at });
    });
    return { jobId, status: 'Cancelled' };
  }
}
