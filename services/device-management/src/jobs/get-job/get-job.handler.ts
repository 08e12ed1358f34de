import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { JobView } from '../../read-models/read-model.entities';
import { toJobDto, type JobDto } from '../../read-models/read-model.dto';
import { DomainError, notFound } from '../../shared/domain/domain-error';
import { JobHistory } from '../job-history';
import { foldJob } from '../job-kinds';
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
      return row.document;
    }
    const { kind, events } = await this.history.read(tenantId, jobId);
    const until = events
      .filter((event) => event.recordedAt.getTime() <= asOf.getTime())
      .map((event) => ({ type: event.type, data: event.data }));
    const state = foldJob(kind, until);
    if (!state) {
      throw new DomainError('not_found', `job ${jobId} did not exist yet at ${asOf.toISOString()}`);
    }
    return toJobDto(kind, state);
  }
}
