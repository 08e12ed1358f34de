import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import { ApiEndpoint } from '../http/api-docs';
import {
  AlertSubscriptionListDto,
  CreateAlertSubscriptionRequestDto,
  CreatedAlertSubscriptionDto,
  SubscriptionIdParam,
} from './alert.dto';
import { AlertSubscriptions } from './alert-subscriptions';

const SUBSCRIPTION_EXAMPLE = {
  subscriptionId: '7d4b1c52-2a8e-4f0e-9b6f-1e2d3c4b5a69',
  url: 'https://alerts.example.com/opcfleet',
  kinds: ['job.failed', 'rollout.halted'],
  offlineMinutes: 10,
  createdAt: '2026-11-23T10:00:05.123Z',
  createdBy: 'alice@example.com',
};

@ApiTags('alerts')
@Controller('api/v1/alerts/subscriptions')
export class AlertSubscriptionsHttpController {
  constructor(private readonly alerts: AlertSubscriptions) {}

  @Post()
  @ApiEndpoint({
    summary: 'Subscribe a webhook to alerts',
    description:
      'From now on, each event of your tenant of the kinds asked for (a job failed, rolled ' +
      'back or timed out; a rollout halted or waiting for approval; a client offline longer ' +
      'than `offlineMinutes`, once per offline period; a device whose workload is down, or ' +
      'whose clock is skewed) is POSTed to `url` as JSON, ' +
      'signed: `Opcfleet-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, ' +
      'with the delivery id in `Opcfleet-Delivery-Id` (the same on every attempt: deliveries ' +
      'are at least once). A 2xx answer within the timeout is a success; anything else is ' +
      'tried again with a back-off. The secret is in this answer only.',
    access: 'alerts',
    body: true,
    errors: {
      400: 'Every failing field: a URL that is not https (or http to the loopback where allowed), holds a user name or password, or names a link-local address; an unknown or repeated kind.',
    },
  })
  @HttpCode(201)
  @ApiCreatedResponse({
    type: CreatedAlertSubscriptionDto,
    description: 'Subscribed; keep the secret, it is not shown again',
    example: {
      ...SUBSCRIPTION_EXAMPLE,
      secret: 'whsec_9hJ3kq0xY2b7Vt4mN1pQ8rS5uW6zA3cD0eF7gH2iJ4k',
    },
  })
  create(
    @Body() body: CreateAlertSubscriptionRequestDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<CreatedAlertSubscriptionDto> {
    return this.alerts.create(principal.tenantId, principal.subject, body);
  }

  @Get()
  @ApiEndpoint({
    summary: 'List the webhook subscriptions',
    description: "Your tenant's live subscriptions, oldest first, without their secrets.",
    access: 'alerts',
  })
  @ApiOkResponse({
    type: AlertSubscriptionListDto,
    description: 'The subscriptions',
    example: { items: [SUBSCRIPTION_EXAMPLE] },
  })
  async list(@CurrentPrincipal() principal: Principal): Promise<AlertSubscriptionListDto> {
    return { items: await this.alerts.list(principal.tenantId) };
  }

  @Delete(':id')
  @ApiEndpoint({
    summary: 'Delete a webhook subscription',
    description:
      'Nothing more is sent to it: its secret is forgotten and its pending deliveries end ' +
      '`failed`. Its delivery log stays.',
    access: 'alerts',
    errors: {
      400: 'A failing field (`id`: not a UUID).',
      404: 'Your tenant has no such subscription (or it is deleted already).',
    },
  })
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Deleted' })
  async delete(
    @Param() { id }: SubscriptionIdParam,
    @CurrentPrincipal() principal: Principal,
  ): Promise<void> {
    await this.alerts.delete(principal.tenantId, id);
  }
}
