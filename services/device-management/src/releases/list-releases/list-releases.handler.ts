import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { uuidSchema } from '@opcfleet/contracts';
import { DataSource } from 'typeorm';
import { invalidCursor } from '../../clients/list-clients/list-clients.handler';
import { ReleaseView } from '../../read-models/read-model.entities';
import { decodeCursor, pageOf, type PageDto } from '../../read-models/read-model.dto';
import type { ReleaseDto } from '../../read-models/release.dto';
import { ListReleases } from './list-releases.query';

/** The tenant's releases, newest first, keyset-paged on (registered_at, release_id). */
@QueryHandler(ListReleases)
export class ListReleasesHandler implements IQueryHandler<ListReleases, PageDto<ReleaseDto>> {
  constructor(private readonly dataSource: DataSource) {}

  async execute({
    tenantId,
    product,
    withdrawn,
    limit,
    cursor,
  }: ListReleases): Promise<PageDto<ReleaseDto>> {
    const rows = this.dataSource
      .getRepository(ReleaseView)
      .createQueryBuilder('r')
      .where('r.tenant_id = :tenantId', { tenantId })
      .orderBy('r.registered_at', 'DESC')
      .addOrderBy('r.release_id', 'DESC')
      .limit(limit + 1);
    if (product !== undefined) rows.andWhere('r.product = :product', { product });
    if (withdrawn !== undefined) rows.andWhere('r.withdrawn = :withdrawn', { withdrawn });
    if (cursor !== undefined) {
      const key = decodeCursor(cursor, 2);
      if (!key || Number.isNaN(Date.parse(String(key[0]))) || !uuidSchema.safeParse(key[1]).success)
        throw invalidCursor();
      rows.andWhere('(r.registered_at, r.release_id) < (:at::timestamptz, :id::uuid)', {
        at: key[0],
        id: key[1],
      });
    }
    return pageOf(
      await rows.getMany(),
      limit,
      (row) => row.document,
      (row) => [new Date(row.registeredAt).toISOString(), row.releaseId],
    );
  }
}
