/**
 * `npm run bench:dispatch`: commit-to-PUBLISH latency of update commands. Jobs are requested
 * through the real command handler at a fixed rate (BENCH_RATE per second, default 200, for
 * BENCH_SECONDS, default 10); a device-side MQTT client subscribed to every command topic
 * timestamps each PUBLISH it receives. Latency = PUBLISH received - append committed (the
 * moment the request handler returned, when the API answers 202). Target: P95 < 10 ms.
 * `measureDispatchLatency` is exported for bench:api to print the same figures.
 */
import { randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { decodeUpdateCommand } from '@opcfleet/contracts';
import mqtt from 'mqtt';
import pino from 'pino';
import { STREAM_PREFIX } from '../src/shared/domain/stream-names';
import { createServiceDatabase, ServiceStack } from '../test/support/service-stack';
import { benchBroker, ms, percentiles, waitFor } from './bench-support';

export interface DispatchLatencyResult {
  jobs: number;
  lost: number;
  latencyMs: ReturnType<typeof percentiles>;
  /** Commit to the handler of a second catch-up subscription: the event store's own share. */
  subscriptionLatencyMs: ReturnType<typeof percentiles>;
  achievedRate: number;
}

/**
 * Requests `rate` updates per second for `seconds` on `service` (one client each, registered
 * first) and returns the commit-to-PUBLISH latencies seen by a subscriber on `mqttUrl`.
 */
export async function measureDispatchLatency(
  service: ServiceStack,
  mqttUrl: string,
  {
    rate,
    seconds,
    tenantId = `bench-${randomUUID().slice(0, 6)}`,
  }: { rate: number; seconds: number; tenantId?: string },
): Promise<DispatchLatencyResult> {
  const total = Math.round(rate * seconds);
  for (let i = 0; i < total; i++) await service.registerClient(tenantId, `c-${i}`);
  const committedAt = new Map<string, number>();
  const publishedAt = new Map<string, number>();
  const fleet = await mqtt.connectAsync(mqttUrl, {
    clientId: `bench-fleet-${randomUUID().slice(0, 6)}`,
  });
  fleet.on('message', (_topic, payload) => {
    const now = performance.now();
    const decoded = decodeUpdateCommand(payload);
    if (decoded.ok && !publishedAt.has(decoded.value.jobId))
      publishedAt.set(decoded.value.jobId, now);
  });
  await fleet.subscribeAsync(`tenants/${tenantId}/clients/+/commands/#`, { qos: 1 });
  const seenBySubscription = new Map<string, number>();
  const probe = service.store.subscribe(
    {
      name: `bench-probe-${randomUUID()}`,
      streamPrefixes: [STREAM_PREFIX.updateJob],
      checkpointing: { mode: 'handler', checkpointer: { load: async () => undefined } },
    },
    async (batch) => {
      const now = performance.now();
      for (const event of batch.events) {
        if (event.type === 'UpdateRequested') {
          seenBySubscription.set((event.data as { jobId: string }).jobId, now);
        }
      }
    },
  );
  try {
    const started = performance.now();
    const requests: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      // Open-loop: request i starts at its slot whatever the previous ones are doing.
      const due = started + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      requests.push(
        service.requestUpdate(tenantId, `c-${i}`, '2.0.0').then(({ jobId }) => {
          committedAt.set(jobId, performance.now());
        }),
      );
    }
    await Promise.all(requests);
    const achievedRate = total / ((performance.now() - started) / 1000);
    await waitFor(async () => publishedAt.size >= total, 30_000, 'every command').catch(
      () => undefined,
    );
    const after = (seen: Map<string, number>) =>
      [...committedAt].flatMap(([jobId, committed]) => {
        const at = seen.get(jobId);
        return at === undefined ? [] : [Math.max(0, at - committed)];
      });
    const latencies = after(publishedAt);
    return {
      jobs: total,
      lost: total - latencies.length,
      latencyMs: percentiles(latencies),
      subscriptionLatencyMs: percentiles(after(seenBySubscription)),
      achievedRate,
    };
  } finally {
    await probe.stop();
    await fleet.endAsync();
  }
}

async function main() {
  const rate = Number(process.env.BENCH_RATE ?? 200);
  const seconds = Number(process.env.BENCH_SECONDS ?? 10);
  if (process.env.BENCH_DATABASE_URL)
    process.env.TEST_DATABASE_URL = process.env.BENCH_DATABASE_URL;
  const database = await createServiceDatabase();
  const broker = await benchBroker();
  const service = await ServiceStack.start({
    databaseUrl: database.url,
    mqttUrl: broker.url,
    mqttClientId: `bench-${randomUUID().slice(0, 8)}`,
    logger: pino({ level: process.env.LOG_LEVEL ?? 'info' }, pino.destination('/dev/null')),
  });
  try {
    const result = await measureDispatchLatency(service, broker.url, { rate, seconds });
    const { p50, p95, p99, max } = result.latencyMs;
    console.log('');
    console.log(`broker: ${broker.name}; database: PostgreSQL (fresh database)`);
    console.log(
      `load average at the end (1/5/15 min, ${cpus().length} cores): ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    console.log(
      `update requests: ${result.jobs} at ${rate}/s for ${seconds} s (achieved ${result.achievedRate.toFixed(0)}/s)`,
    );
    console.log(
      `commit-to-PUBLISH: P50 ${ms(p50)}, P95 ${ms(p95)}, P99 ${ms(p99)}, max ${ms(max)} (target P95 < 10 ms)`,
    );
    const sub = result.subscriptionLatencyMs;
    console.log(
      `of which commit-to-subscription-handler (a probe subscription, same store): ` +
        `P50 ${ms(sub.p50)}, P95 ${ms(sub.p95)}, P99 ${ms(sub.p99)}, max ${ms(sub.max)}`,
    );
    console.log(`commands not received: ${result.lost}`);
  } finally {
    await service.stop();
    await broker.close();
    await database.drop();
  }
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
