import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { READ_MODEL_SCHEMA } from '../read-models/read-model.entities';
import type { AlertKind } from './alert-kinds';

const SUBSCRIPTIONS = `${READ_MODEL_SCHEMA}.alert_subscriptions`;
const DELIVERIES = `${READ_MODEL_SCHEMA}.alert_deliveries`;

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed';

export interface AlertSubscription {
  subscriptionId: string;
  url: string;
  kinds: AlertKind[];
  /** `client.offline`: after how many minutes offline. */
  offlineMinutes: number;
  createdAt: string;
  createdBy: string;
}

export interface AlertDelivery {
  deliveryId: string;
  subscriptionId: string;
  kind: AlertKind;
  eventId: string;
  eventType: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt?: string;
  lastStatusCode?: number;
  lastError?: string;
  createdAt: string;
  updatedAt: string;
}

/** A delivery to enqueue: one event for one subscription. */
export interface NewDelivery {
  tenantId: string;
  subscriptionId: string;
  eventId: string;
  eventType: string;
  kind: AlertKind;
  /** Makes the JSON body, given the delivery's id. */
  bodyOf(deliveryId: string): string;
}

/** A delivery taken for an attempt, with what it needs to be sent. */
export interface ClaimedDelivery {
  deliveryId: string;
  tenantId: string;
  subscriptionId: string;
  url: string;
  secret: string;
  body: string;
  /** Attempts so far, this one included. */
  attempts: number;
}

type Row = Record<string, unknown>;
const iso = (value: unknown) => (value as Date).toISOString();

const subscriptionOf = (row: Row): AlertSubscription => ({
  subscriptionId: row.subscription_id as string,
  url: row.url as string,
  kinds: row.kinds as AlertKind[],
  offlineMinutes: row.offline_minutes as number,
  createdAt: iso(row.created_at),
  createdBy: row.created_by as string,
});

const deliveryOf = (row: Row): AlertDelivery => ({
  deliveryId: row.delivery_id as string,
  subscriptionId: row.subscription_id as string,
  kind: row.kind as AlertKind,
  eventId: row.event_id as string,
  eventType: row.event_type as string,
  status: row.status as DeliveryStatus,
  attempts: row.attempts as number,
  ...(row.next_attempt_at ? { nextAttemptAt: iso(row.next_attempt_at) } : {}),
  ...(row.last_status_code != null ? { lastStatusCode: row.last_status_code as number } : {}),
  ...(row.last_error != null ? { lastError: row.last_error as string } : {}),
  createdAt: iso(row.created_at),
  updatedAt: iso(row.updated_at),
});

/**
 * The rows of a condition on a number of the agents' state summaries (device_states): its
 * clients while `holds` is true of it, named (`eventIdPrefix:client:day`) once a day (UTC)
 * since such a condition has no start. The arguments are this file's constants, never input.
 */
function dailySummaryCondition(
  kind: AlertKind,
  eventType: string,
  eventIdPrefix: string,
  field: 'clockSkewSeconds' | 'freeDiskBytes',
  holds: (value: string) => string,
): string {
  const value = `(d.summary ->> '${field}')::bigint`;
  return `SELECT s.tenant_id, s.subscription_id, d.client_id, '${kind}', '${eventType}',
                '${eventIdPrefix}:' || d.client_id || ':' ||
                  to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
                jsonb_build_object('clientId', d.client_id, '${field}', ${value},
                                   'reportedAt', d.reported_at)
           FROM s JOIN ${READ_MODEL_SCHEMA}.device_states d ON d.tenant_id = s.tenant_id
          WHERE '${kind}' = ANY(s.kinds)
            AND jsonb_typeof(d.summary -> '${field}') = 'number'
            AND ${holds(value)}`;
}

/**
 * The alert tables (read-model migration 6): the webhook subscriptions of each tenant and the
 * delivery log. Not events: a subscription's secret must be usable to sign, and must not
 * appear in the audit trail (which exports every event to auditors); the log is operational
 * state changed on every attempt. Every query of a caller names its tenant.
 */
@Injectable()
export class AlertStore {
  constructor(private readonly dataSource: DataSource) {}

  async createSubscription(subscription: {
    tenantId: string;
    url: string;
    kinds: readonly AlertKind[];
    offlineMinutes: number;
    secret: string;
    createdBy: string;
  }): Promise<AlertSubscription> {
    const rows: Row[] = await this.dataSource.query(
      `INSERT INTO ${SUBSCRIPTIONS} (subscription_id, tenant_id, url, kinds, secret, created_by, offline_minutes, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, now()) RETURNING *`,
      [
        randomUUID(),
        subscription.tenantId,
        subscription.url,
        [...new Set(subscription.kinds)],
        subscription.secret,
        subscription.createdBy,
        subscription.offlineMinutes,
      ],
    );
    return subscriptionOf(rows[0]);
  }

  async subscriptions(tenantId: string): Promise<AlertSubscription[]> {
    const rows: Row[] = await this.dataSource.query(
      `SELECT * FROM ${SUBSCRIPTIONS} WHERE tenant_id = $1 AND deleted_at IS NULL
        ORDER BY created_at, subscription_id`,
      [tenantId],
    );
    return rows.map(subscriptionOf);
  }

  /**
   * Deletes a subscription of the tenant: its secret is forgotten, its pending deliveries end
   * `failed`, its log stays. False when the tenant has no such subscription.
   */
  async deleteSubscription(tenantId: string, subscriptionId: string): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const [rows] = (await manager.query(
        `UPDATE ${SUBSCRIPTIONS} SET deleted_at = now(), secret = NULL
          WHERE tenant_id = $1 AND subscription_id = $2 AND deleted_at IS NULL
          RETURNING subscription_id`,
        [tenantId, subscriptionId],
      )) as [Row[], number];
      if (rows.length === 0) return false;
      await manager.query(
        `UPDATE ${DELIVERIES} SET status = 'failed', next_attempt_at = NULL, updated_at = now(),
                last_error = 'subscription deleted'
          WHERE subscription_id = $1 AND status = 'pending'`,
        [subscriptionId],
      );
      return true;
    });
  }

  /**
   * The live subscriptions of these tenants that want these kinds, each with its creation time:
   * an event recorded before a subscription existed is not delivered to it.
   */
  async subscribersOf(
    tenantIds: readonly string[],
  ): Promise<
    Array<{ tenantId: string; subscriptionId: string; kinds: AlertKind[]; createdAt: Date }>
  > {
    if (tenantIds.length === 0) return [];
    const rows: Row[] = await this.dataSource.query(
      `SELECT tenant_id, subscription_id, kinds, created_at FROM ${SUBSCRIPTIONS}
        WHERE tenant_id = ANY($1::text[]) AND deleted_at IS NULL`,
      [[...new Set(tenantIds)]],
    );
    return rows.map((row) => ({
      tenantId: row.tenant_id as string,
      subscriptionId: row.subscription_id as string,
      kinds: row.kinds as AlertKind[],
      createdAt: row.created_at as Date,
    }));
  }

  /** The clients of these jobs, from the jobs read model (written with the job's events). */
  async clientsOfJobs(jobIds: readonly string[]): Promise<Map<string, string>> {
    const uuids = jobIds.filter((id) => /^[0-9a-f-]{36}$/i.test(id));
    if (uuids.length === 0) return new Map();
    const rows: Row[] = await this.dataSource.query(
      `SELECT job_id, client_id FROM ${READ_MODEL_SCHEMA}.jobs WHERE job_id = ANY($1::uuid[])`,
      [uuids],
    );
    return new Map(rows.map((row) => [row.job_id as string, row.client_id as string]));
  }

  /**
   * Conditions of clients that no event announces, each not alerted yet to a subscription of
   * their tenant that wants its kind; at most `limit`. Each condition is named (`eventId`) so
   * that it is alerted once:
   *
   * - `client.offline`: offline (clients read model) and not seen for the subscription's
   *   `offlineMinutes`; once per offline period (the client and when it was last seen);
   * - `device.workload_down`: the agent's last state summary (device_states) has a workload
   *   problem; once per problem (the client, its code and since when);
   * - `device.clock_skew`: the summary's clock skew is at least `clockSkewSeconds` either
   *   way; once a day (UTC) while it lasts (a skew has no start);
   * - `device.disk_low`: the summary's free disk for images is under `diskLowBytes`; once a
   *   day (UTC) while it lasts.
   */
  async clientConditions(
    limit: number,
    { clockSkewSeconds, diskLowBytes }: { clockSkewSeconds: number; diskLowBytes: number },
  ): Promise<
    Array<{
      tenantId: string;
      subscriptionId: string;
      clientId: string;
      kind: AlertKind;
      eventId: string;
      eventType: string;
      data: Record<string, unknown>;
    }>
  > {
    const rm = READ_MODEL_SCHEMA;
    const rows: Row[] = await this.dataSource.query(
      `WITH s AS (SELECT * FROM ${SUBSCRIPTIONS} WHERE deleted_at IS NULL),
       conditions AS (
         SELECT s.tenant_id, s.subscription_id, c.client_id, 'client.offline' AS kind,
                'ClientOffline' AS event_type,
                'client-offline:' || c.client_id || ':' ||
                  floor(extract(epoch FROM c.last_seen_at) * 1000)::bigint AS event_id,
                jsonb_build_object('clientId', c.client_id, 'lastSeenAt', c.last_seen_at,
                                   'offlineMinutes', s.offline_minutes) AS data
           FROM s JOIN ${rm}.clients c ON c.tenant_id = s.tenant_id
          WHERE 'client.offline' = ANY(s.kinds)
            AND c.presence = 'offline' AND c.last_seen_at IS NOT NULL
            AND c.last_seen_at < now() - s.offline_minutes * interval '1 minute'
         UNION ALL
         SELECT s.tenant_id, s.subscription_id, d.client_id, 'device.workload_down',
                'DeviceWorkloadDown',
                'device-workload:' || d.client_id || ':' ||
                  (d.summary #>> '{workload,problem,code}') || ':' ||
                  (d.summary #>> '{workload,problem,since}'),
                jsonb_build_object('clientId', d.client_id,
                                   'problem', d.summary #> '{workload,problem}',
                                   'reportedAt', d.reported_at)
           FROM s JOIN ${rm}.device_states d ON d.tenant_id = s.tenant_id
          WHERE 'device.workload_down' = ANY(s.kinds)
            AND d.summary #> '{workload,problem}' IS NOT NULL
         UNION ALL
         ${dailySummaryCondition('device.clock_skew', 'DeviceClockSkew', 'device-clock-skew', 'clockSkewSeconds', (value) => `abs(${value}) >= $2`)}
         UNION ALL
         ${dailySummaryCondition('device.disk_low', 'DeviceDiskLow', 'device-disk-low', 'freeDiskBytes', (value) => `${value} < $3`)})
       SELECT * FROM conditions o
        WHERE NOT EXISTS (SELECT 1 FROM ${DELIVERIES} d
                           WHERE d.subscription_id = o.subscription_id AND d.event_id = o.event_id)
        LIMIT $1`,
      [limit, clockSkewSeconds, diskLowBytes],
    );
    return rows.map((row) => ({
      tenantId: row.tenant_id as string,
      subscriptionId: row.subscription_id as string,
      clientId: row.client_id as string,
      kind: row.kind as AlertKind,
      eventId: row.event_id as string,
      eventType: row.event_type as string,
      data: row.data as Record<string, unknown>,
    }));
  }

  /**
   * Writes the deliveries, pending and due now; one per subscription and event, so a batch the
   * subscription replays enqueues nothing twice. Returns how many are new.
   */
  async enqueue(deliveries: readonly NewDelivery[]): Promise<number> {
    if (deliveries.length === 0) return 0;
    const ids = deliveries.map(() => randomUUID());
    const rows: Row[] = await this.dataSource.query(
      `INSERT INTO ${DELIVERIES}
         (delivery_id, tenant_id, subscription_id, event_id, event_type, kind, body, status,
          attempts, next_attempt_at, created_at, updated_at)
       SELECT d.delivery_id, d.tenant_id, d.subscription_id, d.event_id, d.event_type, d.kind,
              d.body, 'pending', 0, now(), now(), now()
         FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[])
           AS d(delivery_id, tenant_id, subscription_id, event_id, event_type, kind, body)
       ON CONFLICT (subscription_id, event_id) DO NOTHING
       RETURNING delivery_id`,
      [
        ids,
        deliveries.map((d) => d.tenantId),
        deliveries.map((d) => d.subscriptionId),
        deliveries.map((d) => d.eventId),
        deliveries.map((d) => d.eventType),
        deliveries.map((d) => d.kind),
        deliveries.map((d, index) => d.bodyOf(ids[index])),
      ],
    );
    return rows.length;
  }

  /**
   * Takes up to `limit` due deliveries for an attempt (skipping those another replica holds),
   * counts the attempt and leases them for `leaseMs`: a process that dies mid-attempt leaves
   * them to be tried again then.
   */
  async claimDue(limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
    const [rows] = (await this.dataSource.query(
      `UPDATE ${DELIVERIES} d
          SET attempts = d.attempts + 1, updated_at = now(),
              next_attempt_at = now() + $2::float8 * interval '1 millisecond'
         FROM ${SUBSCRIPTIONS} s
        WHERE d.delivery_id IN (
                SELECT delivery_id FROM ${DELIVERIES}
                 WHERE status = 'pending' AND next_attempt_at <= now()
                 ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
          AND s.subscription_id = d.subscription_id
      RETURNING d.delivery_id, d.tenant_id, d.subscription_id, d.body, d.attempts, s.url, s.secret`,
      [limit, leaseMs],
    )) as [Row[], number];
    return rows.map((row) => ({
      deliveryId: row.delivery_id as string,
      tenantId: row.tenant_id as string,
      subscriptionId: row.subscription_id as string,
      url: row.url as string,
      secret: row.secret as string,
      body: row.body as string,
      attempts: row.attempts as number,
    }));
  }

  /**
   * Records an attempt's outcome: `succeeded`; `pending` again after `retryInMs`; or `failed`
   * when no attempt is left (retryInMs undefined).
   */
  async recordAttempt(
    deliveryId: string,
    outcome: { ok: boolean; statusCode?: number; error?: string; retryInMs?: number },
  ): Promise<void> {
    const status: DeliveryStatus = outcome.ok
      ? 'succeeded'
      : outcome.retryInMs === undefined
        ? 'failed'
        : 'pending';
    await this.dataSource.query(
      `UPDATE ${DELIVERIES}
          SET status = $2, last_status_code = $3, last_error = $4, updated_at = now(),
              next_attempt_at = CASE WHEN $2 = 'pending'
                                     THEN now() + $5::float8 * interval '1 millisecond' END
        WHERE delivery_id = $1 AND status = 'pending'`,
      [
        deliveryId,
        status,
        outcome.statusCode ?? null,
        outcome.ok ? null : (outcome.error ?? 'failed').slice(0, 500),
        outcome.retryInMs ?? 0,
      ],
    );
  }

  /**
   * Deletes up to `limit` deliveries that ended (succeeded or failed) before `endedBefore`;
   * returns how many. Pending ones stay, however old.
   */
  async deleteEnded(endedBefore: Date, limit: number): Promise<number> {
    const [, count] = (await this.dataSource.query(
      `DELETE FROM ${DELIVERIES}
        WHERE delivery_id IN (
                SELECT delivery_id FROM ${DELIVERIES}
                 WHERE status <> 'pending' AND updated_at < $1
                 LIMIT $2)`,
      [endedBefore, limit],
    )) as [unknown, number];
    return count;
  }

  /** A page of the tenant's delivery log, newest first (keyset on created_at, delivery_id). */
  async deliveries(
    tenantId: string,
    filter: { subscriptionId?: string; status?: DeliveryStatus },
    limit: number,
    after?: { createdAt: string; deliveryId: string },
  ): Promise<{ items: AlertDelivery[]; next?: { createdAt: string; deliveryId: string } }> {
    const conditions = ['tenant_id = $1'];
    const params: unknown[] = [tenantId];
    if (filter.subscriptionId) {
      params.push(filter.subscriptionId);
      conditions.push(`subscription_id = $${params.length}`);
    }
    if (filter.status) {
      params.push(filter.status);
      conditions.push(`status = $${params.length}`);
    }
    if (after) {
      params.push(after.createdAt, after.deliveryId);
      conditions.push(
        `(created_at, delivery_id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`,
      );
    }
    params.push(limit + 1);
    const rows: Row[] = await this.dataSource.query(
      `SELECT delivery_id, subscription_id, kind, event_id, event_type, status, attempts,
              next_attempt_at, last_status_code, last_error, created_at, updated_at
         FROM ${DELIVERIES} WHERE ${conditions.join(' AND ')}
        ORDER BY created_at DESC, delivery_id DESC LIMIT $${params.length}`,
      params,
    );
    const items = rows.slice(0, limit).map(deliveryOf);
    const last = items.at(-1);
    return rows.length > limit && last
      ? { items, next: { createdAt: last.createdAt, deliveryId: last.deliveryId } }
      : { items };
  }
}
