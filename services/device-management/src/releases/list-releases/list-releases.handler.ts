import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { invalidCursor } from '../../clients/list-clients/list-clients.handler';
import { ReleaseView } from '../../read-models/read-model.entities';
import { newestFirstPage } from '../../read-models/newest-first-page';
import type { PageDto } from '../../read-models/read-model.dto';
import type { ReleaseDto } from '../../read-models/release.dto';
import { ListReleases } from './list-releases.query';

/** The tenant's releases, newest first, keyset-paged on (registered_at, release_id). */
@QueryHandler(ListReleases)
export class ListReleasesHandler implements IQueryHandler<ListReleases, PageDto<ReleaseDto>> {
  constructor(private readonly dataSource: DataSource) {}

  execute({
    tenantId,
    product,
    withdrawn,
    limit,
    cursor,
  }: ListReleases): Promise<PageDto<ReleaseDto>> {
    const rows = this.dataSource
      .getRepository(ReleaseView)
      .createQueryBuilder('r')
      .where('r.tenant_id = :tenantId', { tenantId });
    if (product !== undefined) rows.andWhere('r.product = :product', { product });
    if (withdrawn !== undefined) rows.andWhere('r.withdrawn = :withdrawn', { withdrawn });
    return newestFirstPage(
      rows,
      { at: 'r.registered_at', id: 'r.release_id' },
      (row) => ({ at: row.registeredAt, id: row.releaseId }),
      (row) => row.document,
      { limit, ...(cursor !== undefined ? { cursor } : {}), invalid: invalidCursor },
    );
  }
}
