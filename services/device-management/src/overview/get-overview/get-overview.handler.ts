import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource, In, MoreThanOrEqual, Not } from 'typeorm';
import { ClientView, JobView } from '../../read-models/read-model.entities';
import { GetOverview } from './get-overview.query';
import {
  FAILED_JOB_STATUSES,
  FINAL_JOB_STATUSES,
  type CountDto,
  type OverviewDto,
} from './overview.dto';

const MAX_FAILURES = 50;

/** Counts from the read models, grouped in the database (cheap with 10,000 clients). */
@QueryHandler(GetOverview)
export class GetOverviewHandler implements IQueryHandler<GetOverview, OverviewDto> {
  constructor(private readonly dataSource: DataSource) {}

  async execute({ tenantId, failuresSince }: GetOverview): Promise<OverviewDto> {
    const clients = this.dataSource.getRepository(ClientView);
    const jobs = this.dataSource.getRepository(JobView);
    const countBy = async (column: 'status' | 'reportedVersion'): Promise<CountDto[]> => {
      const rows = await clients
        .createQueryBuilder('client')
        .select(`COALESCE(client.${column}, 'unknown')`, 'key')
        .addSelect('COUNT(*)::int', 'count')
        .where('client.tenantId = :tenantId', { tenantId })
        .groupBy('key')
        .orderBy('count', 'DESC')
        .getRawMany<CountDto>();
      return rows.map(({ key, count }) => ({ key, count: Number(count) }));
    };
    const [byStatus, byVersion, offline, jobsInFlight, failed] = await Promise.all([
      countBy('status'),
      countBy('reportedVersion'),
      clients.countBy({ tenantId, presence: 'offline' }),
      jobs.countBy({ tenantId, status: Not(In(FINAL_JOB_STATUSES)) }),
      jobs.find({
        where: {
          tenantId,
          status: In(FAILED_JOB_STATUSES),
          finishedAt: MoreThanOrEqual(failuresSince),
        },
        order: { finishedAt: 'DESC' },
        take: MAX_FAILURES,
      }),
    ]);
    return {
      clients: byStatus.reduce((sum, { count }) => sum + count, 0),
      byStatus,
      byVersion,
      offline,
      jobsInFlight,
      failuresSince: failuresSince.toISOString(),
      failures: failed.map((job) => ({
        jobId: job.jobId,
        kind: job.kind,
        clientId: job.clientId,
        status: job.status,
        ...(job.phase && { phase: job.phase }),
        ...((job.failureReason ?? job.rollbackReason) && {
          reason: (job.failureReason ?? job.rollbackReason)!,
        }),
        ...(job.failureCode && { code: job.failureCode }),
        ...(job.finishedAt && { finishedAt: new Date(job.finishedAt).toISOString() }),
      })),
    };
  }
}
