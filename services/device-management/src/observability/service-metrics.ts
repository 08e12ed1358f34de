import { Injectable } from '@nestjs/common';
import { Gauge, Histogram, register, type Registry } from 'prom-client';

const NAMES = ['opcfleet_projection_lag_seconds', 'opcfleet_http_request_duration_seconds'];

/**
 * Prometheus metrics of the HTTP side and the projection (the read models add the job counts), in prom-client's default registry (the MQTT
 * side adds its own there). A second app in the same process takes the metrics over.
 */
@Injectable()
export class ServiceMetrics {
  readonly registry: Registry = register;
  readonly projectionLag: Gauge;
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;

  constructor() {
    for (const name of NAMES) this.registry.removeSingleMetric(name);
    this.projectionLag = new Gauge({
      name: 'opcfleet_projection_lag_seconds',
      help: 'From the commit of the last projected event to its projection by the subscription',
      registers: [this.registry],
    });
    this.httpDuration = new Histogram({
      name: 'opcfleet_http_request_duration_seconds',
      help: 'HTTP request duration',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2],
      registers: [this.registry],
    });
  }
}
