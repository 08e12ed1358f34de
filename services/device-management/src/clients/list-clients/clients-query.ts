import type { DataSource, SelectQueryBuilder } from 'typeorm';
import { ClientView } from '../../read-models/read-model.entities';

/**
 * The tenant's clients in client id order (alias `c`), only those with all of `labels` when
 * some are given: the one filter behind listing clients and choosing a rollout's targets.
 */
export function clientsOfTenant(
  dataSource: DataSource,
  tenantId: string,
  labels: Record<string, string>,
): SelectQueryBuilder<ClientView> {
  const rows = dataSource
    .getRepository(ClientView)
    .createQueryBuilder('c')
    .where('c.tenant_id = :tenantId', { tenantId })
    .orderBy('c.client_id', 'ASC');
  if (Object.keys(labels).length > 0) {
    rows.andWhere('c.labels @> :labels::jsonb', { labels: JSON.stringify(labels) });
  }
  return rows;
}
