import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { invalidCursor } from '../../clients/list-clients/list-clients.handler';
import { READ_MODEL_SCHEMA, ReleaseView } from '../../read-models/read-model.entities';
import { decodeCursor, pageOf, type PageDto } from '../../read-models/read-model.dto';
import type { ReleaseClientDto, ReleaseClientState } from '../../read-models/release.dto';
import { notFound } from '../../shared/domain/domain-error';
import { ListReleaseClients } from './list-release-clients.query';

interface Row {
  client_id: string;
  job_id: string;
  job_status: string;
  reported_version: string | null;
  state: ReleaseClientState;
}

const rm = READ_MODEL_SCHEMA;

/**
 * Where each client stands with a release, from the read models: its latest update job by the
 * release, and what it reports. In flight: `updating`. It reports the release's version and its
 * last succeeded update was by this release: `running`. Its latest job by the release failed,
 * rolled back or timed out: `failed`. A client that has moved on (a later update by other means
 * succeeded) or whose job was cancelled is not listed. Paged by client id.
 */
@QueryHandler(ListReleaseClients)
export class ListReleaseClientsHandler implements IQueryHandler<
  ListReleaseClients,
  PageDto<ReleaseClientDto>
> {
  constructor(private readonly dataSource: DataSource) {}

  async execute(query: ListReleaseClients): Promise<PageDto<ReleaseClientDto>> {
    const { tenantId, releaseId, state, limit, cursor } = query;
    const release = await this.dataSource
      .getRepository(ReleaseView)
      .findOneBy({ tenantId, releaseId });
    if (!release) throw notFound('release', releaseId);
    const after = cursor === undefined ? undefined : decodeCursor(cursor, 1)?.[0];
    if (cursor !== undefined && after === undefined) throw invalidCursor();
    const rows: Row[] = await this.dataSource.query(
      `SELECT * FROM (
         SELECT r.client_id, r.job_id, r.status AS job_status, c.reported_version,
                CASE
                  WHEN r.status IN ('Requested', 'Dispatched', 'InProgress') THEN 'updating'
                  WHEN c.reported_version = $3 AND (
                    SELECT l.release_id FROM ${rm}.jobs l
                     WHERE l.tenant_id = r.tenant_id AND l.client_id = r.client_id
                       AND l.kind = 'update' AND l.status = 'Succeeded'
                     ORDER BY l.requested_at DESC LIMIT 1
                  ) = $2::uuid THEN 'running'
                  WHEN r.status IN ('Failed', 'RolledBack', 'TimedOut') THEN 'failed'
                END AS state
           FROM (SELECT DISTINCT ON (client_id) tenant_id, client_id, job_id, status
                   FROM ${rm}.jobs
                  WHERE tenant_id = $1 AND release_id = $2::uuid AND kind = 'update'
                  ORDER BY client_id, requested_at DESC) r
           JOIN ${rm}.clients c ON c.tenant_id = r.tenant_id AND c.client_id = r.client_id
       ) s
       WHERE s.state IS NOT NULL
         AND ($4::text IS NULL OR s.state = $4)
         AND ($5::text IS NULL OR s.client_id > $5)
       ORDER BY s.client_id
       LIMIT $6`,
      [tenantId, releaseId, release.version, state ?? null, after ?? null, limit + 1],
    );
    return pageOf(
      rows,
      limit,
      (row): ReleaseClientDto => ({
        clientId: row.client_id,
        state: row.state,
        jobId: row.job_id,
        jobStatus: row.job_status,
        ...(row.reported_version !== null ? { reportedVersion: row.reported_version } : {}),
      }),
      (row) => [row.client_id],
    );
  }
}
