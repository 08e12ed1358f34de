import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { PERMISSIONS } from '../../auth/principal';
import { decideConfigJob } from '../config/domain/config-job.decider';
import { retryOnConflict } from '../../event-sourcing/event-streams';
import { DomainError, notFound } from '../../shared/domain/domain-error';
import { decideUpdateJob } from '../update/domain/update-job.decider';
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
      const needed = job.kind === 'update' ? PERMISSIONS.update : PERMISSIONS.configure;
      if (!roles.some((role) => (needed as readonly string[]).includes(role))) {
        throw new DomainError(
          'forbidden',
          `cancelling a ${job.kind} job needs one of the roles ${needed.join(', ')}`,
        );
      }
      const decision = { type: 'Cancel' as const, data: { at, ...(reason ? { reason } : {}) } };
      const events =
        job.kind === 'update'
          ? decideUpdateJob(decision, job.state)
          : decideConfigJob(decision, job.state);
      await this.jobs.appendToJob(job, events, { context, at });
    });
    return { jobId, status: 'Cancelled' };
  }
}
