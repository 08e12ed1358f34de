import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { foldConfigJob, type ConfigJob } from '../config/domain/config-job.decider';
import type { ConfigJobEvent } from '../config/domain/config-job.events';
import { JobView } from '../../read-models/read-model.entities';
import { toJobDto, type JobDto } from '../../read-models/read-model.dto';
import { DomainError, notFound } from '../../shared/domain/domain-error';
import { foldUpdateJob, type UpdateJob } from '../update/domain/update-job.decider';
import type { UpdateJobEvent } from '../update/domain/update-job.events';
import { JobHistory } from '../job-history';
import { GetJob } from './get-job.query';

/** Now: the read model. As of a past instant: the job's events up to then, folded again. */
@QueryHandler(GetJob)
export class GetJobHandler implements IQueryHandler<GetJob, JobDto> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly history: JobHistory,
  ) {}

  async execute({ tenantId, jobId, asOf }: GetJob): Promise<JobDto> {
    if (!asOf) {
      const row = await this.dataSource.getRepository(JobView).findOneBy({ jobId, tenantId });
      if (!row) throw notFound('job', jobId);
      return toJobDto(row.kind, row.state as UpdateJob | ConfigJob);
    }
    const { kind, events } = await this.history.read(tenantId, jobId);
    const until = events
      .filter((event) => event.recordedAt.getTime() <= asOf.getTime())
      .map((event) => ({ type: event.type, data: event.data }));
    const state =
      kind === 'update'
        ? foldUpdateJob(until as UpdateJobEvent[])
        : foldConfigJob(until as ConfigJobEvent[]);
    if (!state) {
      throw new DomainError('not_found', `job ${jobId} did not exist yet at ${asOf.toISOString()}`);
    }
    return toJobDto(kind, state);
  }
}
