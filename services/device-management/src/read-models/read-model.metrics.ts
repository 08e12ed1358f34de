import { Injectable } from '@nestjs/common';
import { Gauge, register } from 'prom-client';
import { DataSource } from 'typeorm';
import { JOBS_TABLE } from './read-model.rows';

const JOBS_GAUGE = 'opcfleet_jobs';

/** Jobs by kind and state, counted in the read model when Prometheus scrapes. */
@Injectable()
export class ReadModelMetrics {
  constructor(dataSource: DataSource) {
    // A second app in the same process takes the metric over.
    register.removeSingleMetric(JOBS_GAUGE);
    new Gauge({
      name: JOBS_GAUGE,
      help: 'Jobs by kind and state, from the read model',
      labelNames: ['kind', 'status'],
      registers: [register],
      async collect() {
        const rows = (await dataSource.query(
          `SELECT kind, status, count(*)::int AS n FROM ${JOBS_TABLE} GROUP BY kind, status`,
        )) as { kind: string; status: string; n: number }[];
        this.reset();
        for (const row of rows) this.set({ kind: row.kind, status: row.status }, row.n);
      },
    });
  }
}
