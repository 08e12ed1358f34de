import type { DataSource } from 'typeorm';
import { invalidCursor } from '../clients/list-clients/list-clients.handler';
import { decodeCursor, pageOf } from '../read-models/read-model.dto';
import { newestFirstPage } from '../read-models/newest-first-page';
import { RolloutClientView, RolloutView } from '../read-models/read-model.entities';
import type {
  RolloutClientPageDto,
  RolloutClientState,
  RolloutListDto,
  RolloutSummaryDto,
} from '../read-models/rollout.dto';
import { ROLLOUT_CLIENTS_TABLE, ROLLOUTS_TABLE } from '../read-models/rollout.rows';
import { notFound } from '../shared/domain/domain-error';
import type { Rollout, RolloutStatus } from './domain/rollout.decider';

/** The reads of the rollouts read model: no request folds a rollout stream. */

export interface RolloutsPageRequest {
  tenantId: string;
  limit: number;
  cursor?: string;
  status?: RolloutStatus;
}

/** The tenant's rollouts, newest first, keyset-paged on (started_at, rollout_id). */
export async function rolloutsPage(
  dataSource: DataSource,
  { tenantId, limit, cursor, status }: RolloutsPageRequest,
): Promise<RolloutListDto> {
  const rows = dataSource
    .getRepository(RolloutView)
    .createQueryBuilder('r')
    .where('r.tenant_id = :tenantId', { tenantId });
  if (status) rows.andWhere('r.status = :status', { status });
  return newestFirstPage(
    rows,
    { at: 'r.started_at', id: 'r.rollout_id' },
    (row) => ({ at: row.startedAt, id: row.rolloutId }),
    (row) => row.document,
    { limit, cursor, invalid: invalidCursor },
  );
}

/** The rollout's summary; not_found for an id that is not a rollout of this tenant. */
export async function rolloutOfTenant(
  dataSource: DataSource,
  tenantId: string,
  rolloutId: string,
): Promise<RolloutSummaryDto> {
  const row = await dataSource.getRepository(RolloutView).findOneBy({ tenantId, rolloutId });
  if (!row) throw notFound('rollout', rolloutId);
  return row.document;
}

export interface RolloutClientsPageRequest {
  tenantId: string;
  rolloutId: string;
  limit: number;
  cursor?: string;
  state?: RolloutClientState;
}

/** A page of a rollout's targets in request order, keyset-paged on their position. */
export async function rolloutClientsPage(
  dataSource: DataSource,
  { tenantId, rolloutId, limit, cursor, state }: RolloutClientsPageRequest,
): Promise<RolloutClientPageDto> {
  const rows = dataSource
    .getRepository(RolloutClientView)
    .createQueryBuilder('rc')
    .where('rc.rollout_id = :rolloutId AND rc.tenant_id = :tenantId', { rolloutId, tenantId })
    .orderBy('rc.position', 'ASC')
    .limit(limit + 1);
  if (state) rows.andWhere('rc.state = :state', { state });
  if (cursor !== undefined) {
    const [after] = decodeCursor(cursor, 1) ?? [];
    if (typeof after !== 'string' || !/^\d{1,9}$/.test(after)) throw invalidCursor();
    rows.andWhere('rc.position > :after', { after: Number(after) });
  }
  return pageOf(
    await rows.getMany(),
    limit,
    (row) => row.document,
    (row) => [String(row.position)],
  );
}

/**
 * For each client that has one: another rollout of the tenant, started before `rollout` and not
 * ended, that has not finished with the client (pending, in flight or retrying). A client is in
 * one rollout at a time, and the earlier one keeps it.
 */
export async function rolloutsHoldingClients(
  dataSource: DataSource,
  rollout: Rollout,
  clientIds: readonly string[],
): Promise<Map<string, string>> {
  const { tenantId, rolloutId, startedAt } = rollout.request;
  const rows = (await dataSource.query(
    `SELECT DISTINCT ON (rc.client_id) rc.client_id, rc.rollout_id
       FROM ${ROLLOUT_CLIENTS_TABLE} rc
       JOIN ${ROLLOUTS_TABLE} r ON r.rollout_id = rc.rollout_id
      WHERE rc.tenant_id = $1 AND rc.client_id = ANY($2::text[]) AND rc.rollout_id <> $3
        AND rc.state IN ('pending', 'in_flight', 'retrying')
        AND r.status NOT IN ('Completed', 'Cancelled', 'RolledBack')
        AND (r.started_at, r.rollout_id) < ($4::timestamptz, $3::uuid)
      ORDER BY rc.client_id, r.started_at, r.rollout_id`,
    [tenantId, clientIds, rolloutId, startedAt],
  )) as { client_id: string; rollout_id: string }[];
  return new Map(rows.map((row) => [row.client_id, row.rollout_id]));
}

/**
 * The rollouts of the tenant that follow labels a client registered with has (all of their
 * selector's labels), and have not ended.
 */
export async function rolloutsFollowing(
  dataSource: DataSource,
  tenantId: string,
  labels: Record<string, string>,
): Promise<string[]> {
  const rows = (await dataSource.query(
    `SELECT rollout_id FROM ${ROLLOUTS_TABLE}
      WHERE tenant_id = $1 AND status NOT IN ('Completed', 'Cancelled', 'RolledBack')
        AND document ? 'followUntil' AND document->'labels' <@ $2::jsonb`,
    [tenantId, JSON.stringify(labels)],
  )) as { rollout_id: string }[];
  return rows.map((row) => row.rollout_id);
}
