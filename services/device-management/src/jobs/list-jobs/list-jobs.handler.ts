import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { invalidCursor } from '../../clients/list-clients/list-clients.handler';
import { JobView } from '../../read-models/read-model.entities';
import { decodeCursor, pageOf, type JobDto, type PageDto } from '../../read-models/read-model.dto';
import { ListJobs } from './list-jobs.query';

/** Newest first, keyset-paged on (requested_at, job_id). */
@QueryHandler(ListJobs)
export class ListJobsHandler implements IQueryHandler<ListJobs, PageDto<JobDto>> {
  constructor(private readonly dataSource: DataSource) {}

  async execute(query: ListJobs): Promise<PageDto<JobDto>> {
    const rows = this.dataSource
      .getRepository(JobView)
      .createQueryBuilder('j')
      .where('j.tenant_id = :tenantId', { tenantId: query.tenantId })
      .orderBy('j.requested_at', 'DESC')
      .addOrderBy('j.job_id', 'DESC')
      .limit(query.limit + 1);
    if (query.clientId) rows.andWhere('j.client_id = :clientId', { clientId: query.clientId });
    if (query.kind) rows.andWhere('j.kind = :kind', { kind: query.kind });
    if (query.status) rows.andWhere('j.status = :status', { status: query.status });
    if (query.cursor) {
      const key = decodeCursor(query.cursor, 2);
      if (!key || Number.isNaN(Date.parse(String(key[0])))) throw invalidCursor();
      rows.andWhere('(j.requested_at, j.job_id) < (:at::timestamptz, :id::uuid)', {
        at: key[0],
        id: key[1],
      });
    }
    return pageOf(
      await rows.getMany(),
      query.limit,
      // A page of jobs leaves out their evidence (up to 16 KiB each): GET /jobs/{id} has it.
      ({ document: { evidence: _evidence, ...job } }) => job,
      (row) => [new Date(row.requestedAt).toISOString(), row.jobId],
    );
  }
}
