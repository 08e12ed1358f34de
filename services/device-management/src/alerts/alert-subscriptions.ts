import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app.config';
import { DomainError, notFound } from '../shared/domain/domain-error';
import type { AlertKind } from './alert-kinds';
import { AlertStore, type AlertSubscription, type DeliveryStatus } from './alert-store';
import { newWebhookSecret } from './webhook-signature';
import { webhookUrlProblem } from './webhook-url';

/** `client.offline` without `offlineMinutes`: after 10 minutes. */
export const DEFAULT_OFFLINE_MINUTES = 10;

/**
 * The use cases of alerts, all scoped to the caller's tenant: subscriptions (created with a
 * secret shown once), and the delivery log, a keyset page at a time.
 */
@Injectable()
export class AlertSubscriptions {
  constructor(
    private readonly store: AlertStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async create(
    tenantId: string,
    createdBy: string,
    request: { url: string; kinds: AlertKind[]; offlineMinutes?: number },
  ): Promise<AlertSubscription & { secret: string }> {
    const problem = webhookUrlProblem(request.url, {
      allowInsecure: this.config.alerts.allowInsecureWebhooks,
    });
    if (problem) {
      throw new DomainError('invalid_input', `url ${problem}`, {
        fieldErrors: [{ path: 'url', message: problem }],
      });
    }
    const secret = newWebhookSecret();
    const created = await this.store.createSubscription({
      tenantId,
      // As parsed: control characters percent-encoded, the host in its canonical form.
      url: new URL(request.url).href,
      kinds: request.kinds,
      offlineMinutes: request.offlineMinutes ?? DEFAULT_OFFLINE_MINUTES,
      secret,
      createdBy,
    });
    return { ...created, secret };
  }

  list(tenantId: string): Promise<AlertSubscription[]> {
    return this.store.subscriptions(tenantId);
  }

  async delete(tenantId: string, subscriptionId: string): Promise<void> {
    if (!(await this.store.deleteSubscription(tenantId, subscriptionId))) {
      throw notFound('alert subscription', subscriptionId);
    }
  }

  async deliveries(
    tenantId: string,
    query: { subscriptionId?: string; status?: DeliveryStatus; limit: number; cursor?: string },
  ) {
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const page = await this.store.deliveries(
      tenantId,
      { subscriptionId: query.subscriptionId, status: query.status },
      query.limit,
      after,
    );
    return {
      items: page.items,
      ...(page.next ? { nextCursor: encodeCursor(page.next) } : {}),
    };
  }
}

type Cursor = { createdAt: string; deliveryId: string };

const encodeCursor = ({ createdAt, deliveryId }: Cursor) =>
  Buffer.from(JSON.stringify([createdAt, deliveryId])).toString('base64url');

function decodeCursor(cursor: string): Cursor {
  try {
    const [createdAt, deliveryId] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      typeof createdAt === 'string' &&
      !Number.isNaN(Date.parse(createdAt)) &&
      typeof deliveryId === 'string' &&
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(deliveryId)
    ) {
      return { createdAt, deliveryId };
    }
  } catch {
    // answered below
  }
  throw new DomainError('invalid_input', 'cursor is not one this API returned', {
    fieldErrors: [{ path: 'cursor', message: 'is not one this API returned' }],
  });
}
