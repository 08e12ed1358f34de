/**
 * `npm run bench:ingest`: status reports per second through MQTT, validation, the
 * IngestStatusReport handler, the event store and the read-model projection, and how far the
 * read model trails the event store. Targets: >= 2,000 reports/s, projection lag < 1 s.
 *
 * A fresh PostgreSQL database (BENCH_DATABASE_URL, default the local server), the broker of
 * BENCH_MQTT_URL or an in-process aedes. BENCH_JOBS jobs (default 400), each getting
 * BENCH_REPORTS reports (default 25: received, pulling..., committed) from BENCH_DEVICES
 * MQTT connections (default 8) publishing at full speed with QoS 1.
 */
import { randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { STATUS_REPORT_SCHEMA, statusTopic } from '@opcfleet/contracts';
import mqtt from 'mqtt';
import { Client } from 'pg';
import pino from 'pino';
import { register } from 'prom-client';
import { createServiceDatabase, ServiceStack } from '../test/support/service-stack';
import { benchBroker, ms, percentiles, waitFor } from './bench-support';

const JOBS = Number(process.env.BENCH_JOBS ?? 400);
const REPORTS = Number(process.env.BENCH_REPORTS ?? 25);
const DEVICES = Number(process.env.BENCH_DEVICES ?? 8);

interface Job {
  tenantId: string;
  clientId: string;
  jobId: string;
  correlationId: string;
}

function phaseOf(seq: number): string {
  if (seq === 1) return 'received';
  if (seq === REPORTS) return 'committed';
  return 'pulling';
}

async function main() {
  if (REPORTS < 3) throw new Error('BENCH_REPORTS must be at least 3');
  if (process.env.BENCH_DATABASE_URL)
    process.env.TEST_DATABASE_URL = process.env.BENCH_DATABASE_URL;
  const database = await createServiceDatabase();
  const broker = await benchBroker();
  const logger = pino({ level: process.env.LOG_LEVEL ?? 'info' }, pino.destination('/dev/null'));
  const service = await ServiceStack.start({
    databaseUrl: database.url,
    mqttUrl: broker.url,
    mqttClientId: `bench-${randomUUID().slice(0, 8)}`,
    logger,
    poolMax: Number(process.env.BENCH_POOL_MAX ?? 10),
    env: { INGEST_CONCURRENCY: process.env.INGEST_CONCURRENCY ?? '1024' },
  });
  const sql = new Client({ connectionString: database.url });
  await sql.connect();
  const devices: mqtt.MqttClient[] = [];
  try {
    const tenantId = 'bench';
    console.log(`preparing ${JOBS} clients with one update job each...`);
    const jobs: Job[] = [];
    for (let i = 0; i < JOBS; i++) {
      const clientId = `line-${i}`;
      await service.registerClient(tenantId, clientId);
      const job = await service.requestUpdate(tenantId, clientId, '2.0.0');
      jobs.push({ tenantId, clientId, ...job });
    }
    const countEvents = async (type: string) =>
      Number(
        (await sql.query('SELECT count(*) AS n FROM event_store.events WHERE type = $1', [type]))
          .rows[0].n,
      );
    await waitFor(
      async () => (await countEvents('UpdateCommandDispatched')) === JOBS,
      60_000,
      'dispatch',
    );

    for (let d = 0; d < DEVICES; d++) {
      devices.push(
        await mqtt.connectAsync(broker.url, {
          clientId: `bench-dev-${d}-${randomUUID().slice(0, 6)}`,
        }),
      );
    }
    const total = JOBS * REPORTS;
    console.log(`publishing ${total} status reports over ${DEVICES} connections...`);
    // Sampled while the load runs. Read model: age of the oldest event a job row does not
    // reflect yet (0 when rows are written in the append's transaction). Subscription: the
    // ReadModelProjection's own lag gauge (commit -> handled by its catch-up subscription).
    const readModelLags: number[] = [];
    const subscriptionLags: number[] = [];
    let sampling = true;
    const sampler = (async () => {
      const probe = new Client({ connectionString: database.url });
      await probe.connect();
      while (sampling) {
        const { rows } = await probe.query(
          `SELECT coalesce(extract(epoch FROM clock_timestamp() - min(e.recorded_at)) * 1000, 0) AS lag_ms
             FROM event_store.events e
             JOIN read_models.jobs j ON e.stream_name = 'update-job/' || j.tenant_id || '/' || j.job_id
            WHERE e.stream_revision > j.stream_revision`,
        );
        readModelLags.push(Number(rows[0].lag_ms));
        const gauge = await register.getSingleMetric('opcfleet_projection_lag_seconds')?.get();
        const seconds = gauge?.values[0]?.value;
        if (seconds !== undefined) subscriptionLags.push(seconds * 1000);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await probe.end();
    })();

    const started = performance.now();
    await Promise.all(
      devices.map(async (device, d) => {
        const mine = jobs.filter((_, i) => i % DEVICES === d);
        for (let seq = 1; seq <= REPORTS; seq++) {
          await Promise.all(
            mine.map((job) =>
              device.publishAsync(
                statusTopic(job),
                JSON.stringify({
                  schema: STATUS_REPORT_SCHEMA,
                  messageId: randomUUID(),
                  tenantId: job.tenantId,
                  clientId: job.clientId,
                  correlationId: job.correlationId,
                  jobId: job.jobId,
                  jobKind: 'update',
                  seq,
                  phase: phaseOf(seq),
                  at: new Date().toISOString(),
                  ...(seq > 1 && seq < REPORTS && { progress: { bytes: seq * 1000 } }),
                  ...(seq === REPORTS && { version: '2.0.0' }),
                }),
                { qos: 1 },
              ),
            ),
          );
        }
      }),
    );
    const published = performance.now();
    const reportEvents = async () =>
      Number(
        (
          await sql.query(
            `SELECT count(*) AS n FROM event_store.events
             WHERE type IN ('UpdateReceived', 'UpdatePhaseReported', 'UpdateSucceeded')`,
          )
        ).rows[0].n,
      );
    await waitFor(async () => (await reportEvents()) === total, 300_000, 'ingestion');
    const ingested = performance.now();
    await waitFor(
      async () =>
        Number(
          (await sql.query(`SELECT count(*) AS n FROM read_models.jobs WHERE status = 'Succeeded'`))
            .rows[0].n,
        ) === JOBS,
      60_000,
      'read model',
    );
    const projected = performance.now();
    sampling = false;
    await sampler;

    const seconds = (ingested - started) / 1000;
    const readModelLag = percentiles(readModelLags);
    const subscriptionLag = percentiles(subscriptionLags);
    console.log('');
    console.log(`broker: ${broker.name}; database: PostgreSQL (fresh database)`);
    console.log(
      `load average at the end (1/5/15 min, ${cpus().length} cores): ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    console.log(
      `jobs ${JOBS}, reports per job ${REPORTS}, device connections ${DEVICES}, ` +
        `pool ${process.env.BENCH_POOL_MAX ?? 10}, ingest concurrency ${process.env.INGEST_CONCURRENCY ?? 1024}`,
    );
    console.log(`status reports ingested:        ${total}`);
    console.log(`publish time (devices):         ${ms(published - started)}`);
    console.log(`ingestion time (all appended):  ${ms(ingested - started)}`);
    console.log(
      `ingestion rate:                 ${(total / seconds).toFixed(0)} reports/s (target >= 2000)`,
    );
    console.log(`read model complete after last append: ${ms(projected - ingested)}`);
    const lagLine = (name: string, lag: ReturnType<typeof percentiles>, samples: number) =>
      console.log(
        `${name} (${samples} samples): P50 ${ms(lag.p50)}, P95 ${ms(lag.p95)}, ` +
          `P99 ${ms(lag.p99)}, max ${ms(lag.max)} (target < 1 s)`,
      );
    lagLine('read model behind the event store', readModelLag, readModelLags.length);
    lagLine('projection subscription lag', subscriptionLag, subscriptionLags.length);
  } finally {
    for (const device of devices) await device.endAsync();
    await sql.end();
    await service.stop();
    await broker.close();
    await database.drop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
