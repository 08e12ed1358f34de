import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { ReleaseView } from '../../read-models/read-model.entities';
import type { ReleaseDto } from '../../read-models/release.dto';
import { notFound } from '../../shared/domain/domain-error';
import { GetRelease } from './get-release.query';

@QueryHandler(GetRelease)
export class GetReleaseHandler implements IQueryHandler<GetRelease, ReleaseDto> {
  constructor(private readonly dataSource: DataSource) {}

  async execute({ tenantId, releaseId }: GetRelease): Promise<ReleaseDto> {
    const row = await this.dataSource.getRepository(ReleaseView).findOneBy({ tenantId, releaseId });
    if (!row) throw notFound('release', releaseId);
    return row.document;
  }
}
