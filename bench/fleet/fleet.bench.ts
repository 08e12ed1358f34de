/**
 * npm run bench:fleet: the whole control plane under a fleet-sized update.
 *
 * Real: PostgreSQL (a fresh database), the broker (services/broker's aedes in its own process,
 * or the machine's Mosquitto), the device-management service process from dist/, the REST API.
 * SIMULATED: the devices (test/e2e/harness/simulated-device.ts): mqtt.js clients speaking the real
 * protocol with an in-memory container engine. No Podman here: this measures the control plane.
 *
 * It registers the clients, connects them, updates every one (through one rollout, or with one
 * request per device), and measures the time until every job is final, whether any job was lost
 * or any report applied twice (each job's event stream against what its device sent), the
 * service's CPU and RSS, and the API's latency meanwhile.
 *
 * npm run bench:fleet -- [--devices N] [--brokers aedes,mosquitto] [--mode rollout|requests]
 *                        [--batch-size N] [--phase-delay-ms N] [--timeout-seconds N]
 *                        [--replicas 1,3]  (service replicas, each count a run of its own)
 *                        [--profile DIR]   (a CPU profile of the service, for chrome://inspect)
 * The same settings as env: BENCH_DEVICES (1000), BENCH_BROKERS (aedes,mosquitto), BENCH_MODE
 * (rollout), BENCH_BATCH_SIZE (1000, the rollout's jobs in flight), BENCH_PHASE_DELAY_MS (50),
 * BENCH_TIMEOUT_SECONDS (900); TEST_DATABASE_URL, TEST_MOSQUITTO_URL (mqtt://127.0.0.1:1884).
 */
import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { createTestDatabase } from '@opcfleet/event-store/testing/test-database';
import { ApiClient, FINAL_JOB_STATUSES, type Job } from '../../test/e2e/harness/api-client';
import { ManagedProcess, runLogDir } from '../../test/e2e/harness/child-process';
import {
  E2E_JWT_SECRET,
  startReplicas,
  type MqttEndpoint,
  type ServiceUnderTest,
} from '../../test/e2e/harness/device-management';
import { historyProblems } from '../../test/e2e/harness/event-history';
import { freePort, sleep, waitForPort } from '../../test/e2e/harness/free-port';
import { builtScript } from '../../test/e2e/harness/paths';
import { CommandCpuSampler, forEachLimit, Latencies, mb, UsageSampler } from './measurements';
import { SimulatedDevice } from '../../test/e2e/harness/simulated-device';

type BrokerKind = 'aedes' | 'mosquitto';
type Mode = 'rollout' | 'requests';

/** `--name value` on the command line, else the environment variable, else the default. */
function setting(flag: string, env: string, fallback: string): string {
  const at = process.argv.indexOf(`--${flag}`);
  if (at >= 0 && process.argv[at + 1] !== undefined) return process.argv[at + 1];
  return process.env[env] ?? fallback;
}

function positiveInt(flag: string, env: string, fallback: number): number {
  const value = Number(setting(flag, env, String(fallback)));
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`--${flag} (${env}): must be a positive integer`);
  }
  return value;
}

function oneOf<T extends string>(
  flag: string,
  env: string,
  allowed: readonly T[],
  fallback: string,
) {
  const values = setting(flag, env, fallback)
    .split(',')
    .map((value) => value.trim());
  for (const value of values) {
    if (!allowed.includes(value as T)) {
      throw new Error(`--${flag} (${env}): ${value} is not one of ${allowed.join(', ')}`);
    }
  }
  return values as T[];
}

const settings = {
  devices: positiveInt('devices', 'BENCH_DEVICES', 1000),
  brokers: oneOf<BrokerKind>('brokers', 'BENCH_BROKERS', ['aedes', 'mosquitto'], 'aedes,mosquitto'),
  mode: oneOf<Mode>('mode', 'BENCH_MODE', ['rollout', 'requests'], 'rollout')[0],
  batchSize: positiveInt('batch-size', 'BENCH_BATCH_SIZE', 1000),
  phaseDelayMs: positiveInt('phase-delay-ms', 'BENCH_PHASE_DELAY_MS', 50),
  timeoutMs: positiveInt('timeout-seconds', 'BENCH_TIMEOUT_SECONDS', 900) * 1000,
  profileDir: setting('profile', 'BENCH_PROFILE_DIR', '') || undefined,
  replicas: setting('replicas', 'BENCH_REPLICAS', '1')
    .split(',')
    .map((count) => {
      const replicas = Number(count);
      if (!Number.isInteger(replicas) || replicas < 1 || replicas > 5) {
        throw new Error(`--replicas (BENCH_REPLICAS): ${count} is not a count from 1 to 5`);
      }
      return replicas;
    }),
};

/** A load broker: aedes without TLS, anonymous (development mode), or the machine's Mosquitto. */
async function startBroker(kind: BrokerKind, logDir: string) {
  if (kind === 'mosquitto') {
    const url = process.env.TEST_MOSQUITTO_URL ?? 'mqtt://127.0.0.1:1884';
    return { endpoint: { url, protocolVersion: 5 } as MqttEndpoint, close: async () => undefined };
  }
  const port = await freePort();
  const broker = new ManagedProcess({
    name: 'broker-aedes',
    command: 'node',
    args: [builtScript('services/broker/src/main.js')],
    env: {
      BROKER_HOST: '127.0.0.1',
      BROKER_PORT: String(port),
      BROKER_ALLOW_ANONYMOUS: 'true',
      LOG_LEVEL: 'warn',
    },
    logDir,
  });
  broker.start();
  await waitForPort(port, 15_000);
  return {
    endpoint: { url: `mqtt://127.0.0.1:${port}`, protocolVersion: 4 } as MqttEndpoint,
    pid: broker.pid,
    close: async () => {
      await broker.stop(5_000);
      await broker.closeLog();
    },
  };
}

/** Counts this tenant's jobs that are not final yet, through the list endpoint. */
async function unfinishedJobs(api: ApiClient): Promise<number> {
  let count = 0;
  for (const status of ['Requested', 'Dispatched', 'InProgress']) {
    let cursor: string | undefined;
    do {
      const query = `status=${status}&kind=update&limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await api.call<{ items: Job[]; nextCursor?: string }>(
        'GET',
        `/api/v1/jobs?${query}`,
      );
      if (page.status !== 200) throw new Error(`GET /api/v1/jobs answered ${page.status}`);
      count += page.body.items.length;
      cursor = page.body.nextCursor;
    } while (cursor);
  }
  return count;
}

interface UpdateRun {
  /** Seconds from the first request to the last. */
  requestedSeconds: number;
  /** Jobs not final when the run ended. */
  unfinished: number;
  /** Seconds from the first request until every job was final (or the timeout). */
  finalSeconds: number;
  /** How the rollout ended (rollout mode). */
  outcome?: string;
}

/** What a way of updating every device works with; it fills `jobIds` (by client). */
interface UpdateAll {
  api: ApiClient;
  clientIds: string[];
  jobIds: Array<string | undefined>;
  requestLatency: Latencies;
  /** When the run started (ms). */
  t0: number;
}

/** One update request per device, 16 at a time, then waits for every job to be final. */
async function updateByRequests({
  api,
  clientIds,
  jobIds,
  requestLatency,
  t0,
}: UpdateAll): Promise<UpdateRun> {
  await forEachLimit(clientIds, 16, async (clientId, i) => {
    jobIds[i] = await requestLatency.time(() =>
      api.requestUpdate(clientId, '2.0.0', '127.0.0.1:5000/opcfleet/opc-core:2.0.0'),
    );
  });
  const requestedSeconds = (Date.now() - t0) / 1000;
  let unfinished = clientIds.length;
  while (Date.now() - t0 < settings.timeoutMs) {
    unfinished = await unfinishedJobs(api);
    if (unfinished === 0) break;
    await sleep(500);
  }
  return { requestedSeconds, unfinished, finalSeconds: (Date.now() - t0) / 1000 };
}

interface RolloutProgress {
  status: string;
  percentDone: number;
  counts: { inFlight: number; succeeded: number; failed: number; skipped: number };
}

/**
 * One rollout of every device (`batchSize` jobs in flight), followed until it ends; then the
 * job of each client is read from the rollout's targets.
 */
async function updateThroughRollout({
  api,
  clientIds,
  jobIds,
  requestLatency,
  t0,
}: UpdateAll): Promise<UpdateRun> {
  const started = await requestLatency.time(() =>
    api.call<{ rolloutId: string }>('POST', '/api/v1/rollouts', {
      clientIds,
      targetVersion: '2.0.0',
      image: '127.0.0.1:5000/opcfleet/opc-core:2.0.0',
      batchSize: settings.batchSize,
      maxFailures: clientIds.length,
    }),
  );
  if (started?.status !== 201 && started?.status !== 202) {
    throw new Error(`POST /api/v1/rollouts answered ${JSON.stringify(started)}`);
  }
  const { rolloutId } = started.body;
  const requestedSeconds = (Date.now() - t0) / 1000;
  let rollout: RolloutProgress | undefined;
  let printedAt = Date.now();
  while (Date.now() - t0 < settings.timeoutMs) {
    const answer = await api.call<RolloutProgress>('GET', `/api/v1/rollouts/${rolloutId}`);
    if (answer.status === 200) rollout = answer.body;
    if (rollout && ['Completed', 'Halted', 'Cancelled'].includes(rollout.status)) break;
    if (rollout && Date.now() - printedAt >= 5_000) {
      printedAt = Date.now();
      const { inFlight, succeeded, failed } = rollout.counts;
      console.log(
        `[bench:fleet]   ${((Date.now() - t0) / 1000).toFixed(0)} s: ${rollout.status}, ${rollout.percentDone}% done, ${succeeded} succeeded, ${failed} failed, ${inFlight} in flight`,
      );
    }
    await sleep(200);
  }
  const finalSeconds = (Date.now() - t0) / 1000;
  const position = new Map(clientIds.map((clientId, index) => [clientId, index]));
  for (const { clientId, jobId } of await api.rolloutClients(rolloutId)) {
    jobIds[position.get(clientId)!] = jobId;
  }
  const unfinished = rollout?.status === 'Completed' ? 0 : await unfinishedJobs(api);
  const counts = rollout?.counts;
  return {
    requestedSeconds,
    unfinished,
    finalSeconds,
    outcome: `${rollout?.status ?? 'never read'} (${counts?.succeeded ?? 0} succeeded, ${counts?.failed ?? 0} failed, ${counts?.skipped ?? 0} skipped)`,
  };
}

async function runOnce(kind: BrokerKind, replicas: number): Promise<void> {
  const n = settings.devices;
  const logDir = runLogDir(`bench-fleet-${kind}`);
  const database = await createTestDatabase(undefined, 'bench_fleet');
  const broker = await startBroker(kind, logDir);
  const devices: SimulatedDevice[] = [];
  let services: ServiceUnderTest[] = [];
  try {
    services = await startReplicas(replicas, {
      databaseUrl: database.url,
      broker: broker.endpoint,
      logDir,
      extraEnv: { LOG_LEVEL: 'warn', DATABASE_POOL_MAX: '10' },
      // --profile DIR: the service writes a V8 CPU profile there when it stops.
      ...(settings.profileDir
        ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${settings.profileDir}`] }
        : {}),
    });
    const tenantId = `bench-${randomBytes(4).toString('hex')}`;
    // The API calls go to the replicas in turn.
    let turn = 0;
    const baseUrl = () => services[turn++ % services.length].baseUrl;
    const api = await ApiClient.as(baseUrl, E2E_JWT_SECRET, tenantId);
    const clientIds = Array.from({ length: n }, (_, i) => `dev-${String(i + 1).padStart(5, '0')}`);
    const pids = services.map((service) => service.process.pid!);
    console.log(
      `\n[bench:fleet] ${kind}, ${settings.mode}, ${replicas} service replica(s): ${n} SIMULATED devices, service pid(s) ${pids.join(', ')}, logs in ${logDir}`,
    );

    let started = Date.now();
    await forEachLimit(clientIds, 16, async (clientId) => {
      await api.registerClient(clientId, '1.0.0');
    });
    const registerSeconds = (Date.now() - started) / 1000;

    started = Date.now();
    for (const clientId of clientIds) {
      devices.push(
        new SimulatedDevice({
          url: broker.endpoint.url,
          protocolVersion: broker.endpoint.protocolVersion,
          address: { tenantId, clientId },
          phaseDelayMs: settings.phaseDelayMs,
        }),
      );
    }
    await forEachLimit(devices, 50, (device) => device.connect());
    const connectSeconds = (Date.now() - started) / 1000;
    await sleep(2_000); // presence of the last devices ingested before the clock starts
    console.log(
      `[bench:fleet] registered in ${registerSeconds.toFixed(1)} s, connected in ${connectSeconds.toFixed(1)} s`,
    );

    const usage = pids.map((pid) => new UsageSampler(pid));
    const requestLatency = new Latencies();
    const readLatency = new Latencies();
    for (const sampler of usage) sampler.start();
    // Where the rest of the machine's CPU went: the simulator (this process), the broker, the database.
    const devicesCpuBefore = process.cpuUsage();
    const brokerCpu = broker.pid
      ? new UsageSampler(broker.pid)
      : new CommandCpuSampler('mosquitto');
    const postgresCpu = new CommandCpuSampler('postgres');
    brokerCpu.start();
    postgresCpu.start();
    const t0 = Date.now();
    let probing = true;
    // Meanwhile an operator reads clients and jobs: the latency the API must keep under load.
    const jobIds: Array<string | undefined> = new Array(n);
    const probe = (async () => {
      while (probing) {
        const i = Math.floor(Math.random() * n);
        await readLatency.time(() => api.getClient(clientIds[i]));
        const jobId = jobIds[i];
        if (jobId) await readLatency.time(() => api.getJob(jobId));
        await sleep(20);
      }
    })();

    const updateAll = settings.mode === 'rollout' ? updateThroughRollout : updateByRequests;
    const run = await updateAll({ api, clientIds, jobIds, requestLatency, t0 });
    const { requestedSeconds, unfinished, finalSeconds } = run;
    const loadDuringRun = loadavg()[0];
    probing = false;
    await probe;
    const perReplica = usage.map((sampler) => sampler.stop());
    const used = {
      cpuSeconds: perReplica.reduce((sum, replica) => sum + replica.cpuSeconds, 0),
      wallSeconds: perReplica[0].wallSeconds,
      peakRssBytes: Math.max(...perReplica.map((replica) => replica.peakRssBytes)),
      endRssBytes: Math.max(...perReplica.map((replica) => replica.endRssBytes)),
    };
    const devicesCpu = process.cpuUsage(devicesCpuBefore);
    const brokerUsed = brokerCpu.stop();
    const cpuElsewhere = {
      devices: (devicesCpu.user + devicesCpu.system) / 1e6,
      broker: typeof brokerUsed === 'number' ? brokerUsed : brokerUsed.cpuSeconds,
      postgres: postgresCpu.stop(),
    };

    // Every job: final as Succeeded, its stream holding each report of its device exactly once.
    let succeeded = 0;
    let lost = 0;
    let duplicated = 0;
    let dispatchedMoreThanOnce = 0;
    // The service records a dispatch after the publish; a job already final by then keeps none.
    let dispatchNotRecorded = 0;
    // Where the time goes, from the stream's own timestamps.
    const toPublished = new Latencies();
    const publishedToFinal = new Latencies();
    const dispatchRecordLag = new Latencies();
    let deliveredMoreThanOnce = 0;
    const notAccepted = jobIds.filter((id) => !id).length;
    await forEachLimit(
      jobIds.map((jobId, i) => ({ jobId, device: devices[i] })),
      16,
      async ({ jobId, device }) => {
        if (!jobId) return;
        const [job, events] = await Promise.all([api.getJob(jobId), api.jobEvents(jobId)]);
        if (job.status === 'Succeeded') succeeded += 1;
        const problems = historyProblems(events, device.reportsSent.get(jobId) ?? 0);
        if (problems.some((p) => p.endsWith('lost')) || !FINAL_JOB_STATUSES.includes(job.status))
          lost += 1;
        if (problems.some((p) => p.endsWith('twice'))) duplicated += 1;
        const dispatches = events.filter((e) => e.type === 'UpdateCommandDispatched');
        if (dispatches.length > 1) dispatchedMoreThanOnce += 1;
        if (dispatches.length === 0) dispatchNotRecorded += 1;
        const at = (type: string) => {
          const recorded = events.find((e) => e.type === type)?.recordedAt;
          return recorded ? Date.parse(recorded) : undefined;
        };
        // The dispatch event carries the PUBACK's time; it is recorded behind it, in a batch.
        const published = dispatches[0]?.data.dispatchedAt;
        const [requestedAt, publishedAt, succeededAt] = [
          at('UpdateRequested'),
          typeof published === 'string' ? Date.parse(published) : undefined,
          at('UpdateSucceeded'),
        ];
        if (requestedAt && publishedAt) toPublished.add(publishedAt - requestedAt);
        if (publishedAt && succeededAt) publishedToFinal.add(succeededAt - publishedAt);
        const dispatchRecordedAt = at('UpdateCommandDispatched');
        if (publishedAt && dispatchRecordedAt)
          dispatchRecordLag.add(dispatchRecordedAt - publishedAt);
        if ((device.commandsReceived.get(jobId) ?? 0) > 1) deliveredMoreThanOnce += 1;
      },
    );

    const lines = [
      `[bench:fleet] ${kind}, ${replicas} service replica(s), ${n} SIMULATED devices (phase delay ${settings.phaseDelayMs} ms, 7 reports per job), machine load average ${loadDuringRun.toFixed(1)} on ${cpus().length} cores`,
      settings.mode === 'rollout'
        ? `  one rollout of ${n} clients, ${settings.batchSize} jobs in flight at most: ${run.outcome}; ${n - notAccepted}/${n} got a job; POST /rollouts ${requestLatency.summary()}`
        : `  updates requested through the API: ${n - notAccepted}/${n} in ${requestedSeconds.toFixed(1)} s; POST latency ${requestLatency.summary()}`,
      `  per job: request recorded -> command published (its PUBACK) ${toPublished.summary()}`,
      `  per job: command published -> succeeded recorded ${publishedToFinal.summary()}`,
      `  per job: the dispatch's record behind its PUBACK ${dispatchRecordLag.summary()}`,
      `  all jobs final ${(finalSeconds - requestedSeconds).toFixed(1)} s after the last request (${settings.mode === 'rollout' ? 'the rollout' : 'the last update'}), ${finalSeconds.toFixed(1)} s after the first (${((n - unfinished) / finalSeconds).toFixed(0)} jobs/s, ${(((n - unfinished) * 7) / finalSeconds).toFixed(0)} reports/s); unfinished at the end: ${unfinished}`,
      `  succeeded ${succeeded}/${n}; lost ${lost}; report applied twice ${duplicated}; dispatched more than once ${dispatchedMoreThanOnce}; no dispatch in the stream ${dispatchNotRecorded}; delivered to the device more than once ${deliveredMoreThanOnce}`,
      `  service${replicas > 1 ? ` (${replicas} replicas together; RSS of the largest)` : ''}: CPU ${used.cpuSeconds.toFixed(1)} s over ${used.wallSeconds.toFixed(1)} s (${((100 * used.cpuSeconds) / used.wallSeconds).toFixed(0)}% of one core), RSS peak ${mb(used.peakRssBytes)}, at the end ${mb(used.endRssBytes)}`,
      `  meanwhile, CPU of the SIMULATED devices (this process) ${cpuElsewhere.devices.toFixed(1)} s, the broker ${cpuElsewhere.broker.toFixed(1)} s${broker.pid ? '' : ' (every mosquitto process)'}, PostgreSQL ${cpuElsewhere.postgres.toFixed(1)} s (every backend), on ${cpus().length} cores`,
      `  API reads meanwhile (GET client/job): ${readLatency.summary()}`,
    ];
    console.log(lines.join('\n'));
    const rolloutIncomplete = settings.mode === 'rollout' && !run.outcome?.startsWith('Completed');
    if (lost || duplicated || unfinished || notAccepted || rolloutIncomplete) process.exitCode = 1;
  } finally {
    await forEachLimit(devices, 100, (device) => device.close().catch(() => undefined));
    for (const service of services) await service.close().catch(() => undefined);
    await broker.close();
    await database.drop().catch(() => undefined);
  }
}

async function main(): Promise<void> {
  if (settings.brokers.includes('aedes') && settings.replicas.some((count) => count > 1)) {
    // aedes speaks MQTT 3.1.1: no shared subscription, so every replica would ingest every
    // report, which measures duplicate work rather than sharing.
    throw new Error('--replicas above 1 needs an MQTT 5 broker: use --brokers mosquitto');
  }
  for (const kind of settings.brokers) {
    for (const replicas of settings.replicas) await runOnce(kind, replicas);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
