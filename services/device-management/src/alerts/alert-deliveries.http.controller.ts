import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import { ApiEndpoint } from '../http/api-docs';
import { AlertDeliveryPageDto, ListDeliveriesRequestDto } from './alert.dto';
import { AlertSubscriptions } from './alert-subscriptions';

const DEFAULT_PAGE = 100;

@ApiTags('alerts')
@Controller('api/v1/alerts/deliveries')
export class AlertDeliveriesHttpController {
  constructor(private readonly alerts: AlertSubscriptions) {}

  @Get()
  @ApiEndpoint({
    summary: 'Read the alert delivery log',
    description:
      "Every delivery of your tenant's webhook subscriptions, newest first: `pending` (with " +
      'when it is tried next), `succeeded` or `failed` (no attempt left, or the subscription ' +
      'deleted), with its attempts and the last status code or error; filtered by ' +
      'subscription and status, a page at a time with an opaque `cursor`.',
    access: 'audit',
    errors: {
      400: 'Every failing query field: a subscription id that is not a UUID, an unknown status, a limit over 500, a cursor this API did not return.',
    },
  })
  @ApiOkResponse({
    type: AlertDeliveryPageDto,
    description: 'A page of deliveries',
    example: {
      items: [
        {
          deliveryId: '0e8f6c2a-4b1d-4c3e-8f5a-6b7c8d9e0f1a',
          subscriptionId: '7d4b1c52-2a8e-4f0e-9b6f-1e2d3c4b5a69',
          kind: 'job.failed',
          eventId: '5b1f0f57-1c1e-4c55-a0a4-0c3b5f0e2d19',
          eventType: 'UpdateFailed',
          status: 'pending',
          attempts: 2,
          nextAttemptAt: '2026-11-23T10:01:35.456Z',
          lastStatusCode: 500,
          lastError: 'HTTP 500',
          createdAt: '2026-11-23T10:00:05.123Z',
          updatedAt: '2026-11-23T10:00:35.456Z',
        },
      ],
      nextCursor: 'WyIyMDI2LTExLTIzVDEwOjAwOjA1LjEyM1oiLCIwZThmIl0',
    },
  })
  list(
    @Query() query: ListDeliveriesRequestDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<AlertDeliveryPageDto> {
    return this.alerts.deliveries(principal.tenantId, {
      ...query,
      limit: query.limit ?? DEFAULT_PAGE,
    });
  }
}
