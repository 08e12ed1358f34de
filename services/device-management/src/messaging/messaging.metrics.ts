import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { MessageBus } from './message-bus';

const METRIC_NAMES = [
  'opcfleet_dispatch_latency_seconds',
  'opcfleet_commands_dispatched_total',
  'opcfleet_status_messages_ingested_total',
  'opcfleet_status_messages_dropped_total',
  'opcfleet_broker_connected',
];

/**
 * The Prometheus metrics of the MQTT side: dispatch latency from the commit of the request to
 * the broker's PUBACK, commands sent, status reports and presence messages handled or dropped,
 * and whether the broker is connected. Registered in the registry the app serves on /metrics.
 */
export class MessagingMetrics {
  readonly dispatchLatency: Histogram<'kind'>;
  readonly commandsDispatched: Counter<'kind' | 'reason'>;
  readonly messagesIngested: Counter<'channel' | 'outcome'>;
  readonly messagesDropped: Counter<'channel' | 'reason'>;

  constructor(registry: Registry, bus: MessageBus) {
    // A second instance in the same process (a restarted app in a test) takes over the metrics.
    for (const name of METRIC_NAMES) registry.removeSingleMetric(name);
    this.dispatchLatency = new Histogram({
      name: 'opcfleet_dispatch_latency_seconds',
      help: 'From the commit of a job request to the PUBACK of its command',
      labelNames: ['kind'],
      buckets: [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 5, 30],
      registers: [registry],
    });
    this.commandsDispatched = new Counter({
      name: 'opcfleet_commands_dispatched_total',
      help: 'Commands published and acknowledged by the broker',
      labelNames: ['kind', 'reason'],
      registers: [registry],
    });
    this.messagesIngested = new Counter({
      name: 'opcfleet_status_messages_ingested_total',
      help: 'Status and presence messages handled, by outcome',
      labelNames: ['channel', 'outcome'],
      registers: [registry],
    });
    this.messagesDropped = new Counter({
      name: 'opcfleet_status_messages_dropped_total',
      help: 'Status and presence messages dropped before ingestion (malformed, hostile topic)',
      labelNames: ['channel', 'reason'],
      registers: [registry],
    });
    new Gauge({
      name: 'opcfleet_broker_connected',
      help: '1 while the service is connected to the MQTT broker',
      registers: [registry],
      collect() {
        this.set(bus.status().connected ? 1 : 0);
      },
    });
  }
}
