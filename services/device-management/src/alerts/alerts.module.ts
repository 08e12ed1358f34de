import { Module } from '@nestjs/common';
import { AlertDeliveriesHttpController } from './alert-deliveries.http.controller';
import { AlertStore } from './alert-store';
import { AlertSubscriptions } from './alert-subscriptions';
import { AlertSubscriptionsHttpController } from './alert-subscriptions.http.controller';
import { AlertWorker } from './alert-worker';

/** Webhook alerts: subscriptions, the delivery log, and the worker that enqueues and sends. */
@Module({
  controllers: [AlertSubscriptionsHttpController, AlertDeliveriesHttpController],
  providers: [AlertStore, AlertSubscriptions, AlertWorker],
  exports: [AlertWorker],
})
export class AlertsModule {}
