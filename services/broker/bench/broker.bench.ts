/**
 * bench:broker — the embedded broker (aedes + TLS client certificates + access policy) in its own
 * process, driven by N SIMULATED devices (mqtt.js clients in this process, each with its own
 * device certificate) and one service client:
 *   1. connect: N TLS handshakes with client certificates + authenticate + SUBSCRIBE commands/#
 *   2. round trip: the service publishes one QoS 1 command per device; each device answers with a
 *      QoS 1 status; time until the service has all N statuses (and per-message latency)
 *   3. refusals: every device tries SUBSCRIBE '#' (refused, SUBACK 0x80)
 * Prints wall time, rates, and the broker process's CPU time and resident memory.
 * Variables: BENCH_DEVICES (default 300), BENCH_CONCURRENCY (default 50).
 */
import { clientCommandsFilter, commandTopic, fleetFilters, statusTopic } from '@opcfleet/contracts';
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';

const DEVICES = Number(process.env.BENCH_DEVICES ?? 300);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);
const ROOT = resolve(__dirname, '../../../..'); // dist/services/broker/bench -> repo
const PKI = join(ROOT, 'infra/pki');
const OUT = join(PKI, 'out');
const TENANT = 'bench';
const deviceId = (i: number) => `device-${String(i).padStart(5, '0')}`;

function issueCertificates() {
  const started = Date.now();
  const ids = Array.from({ length: DEVICES }, (_, i) => deviceId(i));
  execFileSync('bash', [join(PKI, 'make-dev-pki.sh'), 'client', TENANT, ...ids], {
    stdio: 'ignore',
  });
  return Date.now() - started;
}

interface BrokerProcess {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

async function startBrokerProcess(): Promise<BrokerProcess> {
  const child = spawn(process.execPath, [join(ROOT, 'dist/services/broker/src/main.js')], {
    env: {
      ...process.env,
      BROKER_PORT: 'off',
      BROKER_TLS_PORT: '0',
      BROKER_TLS_CERT: join(OUT, 'broker.crt'),
      BROKER_TLS_KEY: join(OUT, 'broker.key'),
      BROKER_TLS_CA: join(OUT, 'ca.crt'),
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolveUrl, reject) => {
    let buffer = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const match = /"mqttsUrl":"([^"]+)"/.exec(buffer);
      if (match) resolveUrl(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`broker exited with ${code}`)));
  });
  child.stdout.resume();
  return {
    url,
    pid: child.pid!,
    stop: () =>
      new Promise<void>((done) => {
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}

/** CPU seconds (user + system) and resident memory of a process, from /proc. */
function usage(pid: number) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = 100; // USER_HZ on Linux
  const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / ticks;
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
  return { cpuSeconds, rssMb: rssKb / 1024 };
}

async function inBatches<T>(count: number, work: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(CONCURRENCY, count) }, async () => {
      while (next < count) {
        const i = next++;
        results[i] = await work(i);
      }
    }),
  );
  return results;
}

const percentile = (values: number[], p: number) =>
  [...values].sort((x, y) => x - y)[
    Math.min(values.length - 1, Math.floor((p / 100) * values.length))
  ];

async function main() {
  const certMs = issueCertificates();
  const ca = readFileSync(join(OUT, 'ca.crt'));
  const keys = (prefix: string) => ({
    cert: readFileSync(`${prefix}.crt`),
    key: readFileSync(`${prefix}.key`),
  });
  const broker = await startBrokerProcess();
  const clients: MqttClient[] = [];
  const connect = async (pair: { cert: Buffer; key: Buffer }, clientId: string) => {
    const client = await mqtt.connectAsync(broker.url, {
      ca,
      ...pair,
      clientId,
      reconnectPeriod: 0,
    });
    clients.push(client);
    return client;
  };
  try {
    const idle = usage(broker.pid);
    const service = await connect(keys(join(OUT, 'service')), 'bench-service');
    await service.subscribeAsync(fleetFilters.status, { qos: 1 });

    // 1. connect
    let t0 = performance.now();
    const devices = await inBatches(DEVICES, async (i) => {
      const address = { tenantId: TENANT, clientId: deviceId(i) };
      const client = await connect(keys(join(OUT, 'clients', TENANT, deviceId(i))), `agent-${i}`);
      await client.subscribeAsync(clientCommandsFilter(address), { qos: 1 });
      client.on('message', (_topic, payload) =>
        client.publish(statusTopic(address), payload, { qos: 1 }),
      );
      return client;
    });
    const connectMs = performance.now() - t0;
    const afterConnect = usage(broker.pid);

    // 2. round trip
    const sentAt = new Map<string, number>();
    const latencies: number[] = [];
    const allBack = new Promise<void>((done) =>
      service.on('message', (_topic, payload) => {
        const started = sentAt.get(payload.toString());
        if (started === undefined) return;
        sentAt.delete(payload.toString());
        latencies.push(performance.now() - started);
        if (latencies.length === DEVICES) done();
      }),
    );
    t0 = performance.now();
    for (let i = 0; i < DEVICES; i++) {
      const id = `job-${i}`;
      sentAt.set(id, performance.now());
      service.publish(commandTopic({ tenantId: TENANT, clientId: deviceId(i) }, 'update'), id, {
        qos: 1,
      });
    }
    await allBack;
    const roundTripMs = performance.now() - t0;
    const afterRoundTrip = usage(broker.pid);

    // 3. refusals
    t0 = performance.now();
    const granted = await inBatches(DEVICES, async (i) => {
      try {
        return (await devices[i].subscribeAsync('#', { qos: 1 }))[0].qos;
      } catch (error) {
        return (error as { packet?: { granted?: number[] } }).packet?.granted?.[0] ?? -1;
      }
    });
    const refusalMs = performance.now() - t0;
    const refused = granted.filter((qos) => qos === 0x80).length;
    const afterRefusals = usage(broker.pid);

    const rows: [string, string][] = [
      ['simulated devices (mqtt.js, TLS, own certificate each)', String(DEVICES)],
      ['concurrency of connects / subscribes', String(CONCURRENCY)],
      ['device certificates issued (openssl, cached after)', `${certMs} ms`],
      [
        'connect + authenticate + subscribe, all devices',
        `${connectMs.toFixed(0)} ms (${((DEVICES / connectMs) * 1000).toFixed(0)} devices/s)`,
      ],
      [
        'command -> status round trips, all sent at once (QoS 1)',
        `${roundTripMs.toFixed(0)} ms (${((DEVICES / roundTripMs) * 1000).toFixed(0)}/s)`,
      ],
      [
        'round-trip latency p50 / p99',
        `${percentile(latencies, 50).toFixed(1)} / ${percentile(latencies, 99).toFixed(1)} ms`,
      ],
      ['refused SUBSCRIBE # (SUBACK 0x80)', `${refused}/${DEVICES} in ${refusalMs.toFixed(0)} ms`],
      [
        'broker CPU: connects / round trips / refusals',
        `${(afterConnect.cpuSeconds - idle.cpuSeconds).toFixed(2)} / ${(afterRoundTrip.cpuSeconds - afterConnect.cpuSeconds).toFixed(2)} / ${(afterRefusals.cpuSeconds - afterRoundTrip.cpuSeconds).toFixed(2)} s`,
      ],
      [
        'broker RSS: idle -> connected -> end',
        `${idle.rssMb.toFixed(0)} -> ${afterConnect.rssMb.toFixed(0)} -> ${afterRefusals.rssMb.toFixed(0)} MB`,
      ],
      [
        'broker RSS per connected device',
        `${(((afterConnect.rssMb - idle.rssMb) * 1024) / DEVICES).toFixed(1)} KB`,
      ],
    ];
    console.log('\nbench:broker (aedes in its own process; devices are SIMULATED mqtt.js clients)');
    for (const [name, value] of rows) console.log(`  ${name.padEnd(58)} ${value}`);
    if (refused !== DEVICES || latencies.length !== DEVICES) process.exitCode = 1;
  } finally {
    await Promise.all(clients.map((client) => client.endAsync(true)));
    await broker.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
