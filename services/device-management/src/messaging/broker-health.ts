import type { BrokerStatus, MessageBus } from './message-bus';

export type BrokerHealthReport =
  ({ status: 'up' | 'down' } & BrokerStatus) | { status: 'disabled'; reason: string };

/** The broker part of /health: up when the service holds a connection to the broker. */
export class BrokerHealth {
  constructor(private readonly bus: MessageBus | undefined) {}

  check(): BrokerHealthReport {
    if (!this.bus) return { status: 'disabled', reason: 'MQTT_URL is not set' };
    const status = this.bus.status();
    return { status: status.connected ? 'up' : 'down', ...status };
  }
}
