import { Injectable } from '@nestjs/common';
import { Gauge, Histogram, register, type Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { READ_MODEL_SCHEMA } from '../read-models/read-model.entities';

const NAMES = [
  'opcfleet_jobs',
  'opcfleet_projection_lag_seconds',
  'opcfleet_http_request_duration_seconds',
];

/**
 * Prometheus metrics of the HTTP and read side, in prom-client's default registry (the MQTT
 * side adds its own there). A second app in the same process takes the metrics over.
 */
@Injectable()
export class ServiceMetrics {
  readonly registry: Registry = register;
  readonly projectionLag: Gauge;
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;

  constructor(dataSource: DataSource) {
    for (const name of NAMES) this.registry.removeSingleMetric(name);
    new Gauge({
      name: 'opcfleet_jobs',
      help: 'Jobs by kind and state, from the read model',
      labelNames: ['kind', 'status'],
      registers: [this.registry],
      async collect() {
        const rows = (await dataSource.query(
          `SELECT kind, status, count(*)::int AS n FROM ${READ_MODEL_SCHEMA}.jobs GROUP BY kind, status`,
        )) as { kind: string; status: string; n: number }[];
        this.reset();
        for (const row of rows) this.set({ kind: row.kind, status: row.status }, row.n);
      },
    });
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
