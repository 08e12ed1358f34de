import 'reflect-metadata';
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { createTestDatabase } from '@opcfleet/event-store/testing';
import pino from 'pino';
import { createApp } from '../src/app';
import { mintDevToken } from '../src/auth/mint-dev-token';
import { loadAppConfig } from '../src/config/app.config';
import { WorkerLifecycle } from '../src/workers/worker-lifecycle';
import { CommandCpuSampler, processUsage } from '../../../bench/fleet/measurements';
import { serveBarePostBaseline } from './bare-post-baseline';
import { ms, percentiles } from './bench-support';

/**
 * `npm run bench:api`: POST update and POST config at fixed request rates against the service
 * on PostgreSQL (its own fresh database), the service in a child process so that the load
 * generator does not share its event loop. Prints P50/P95/P99 latency and errors of each phase
 * beside a bare POST (bare-post-baseline.ts) measured in turns with it, a second of each. The
 * update is measured twice: on clients the process registered
 * (it holds their state, as a process that has served a while does), and on clients new to a
 * freshly started process, whose first job reads the client's stream before appending.
 * BENCH_RATE (200/s), BENCH_SECONDS (10), BENCH_CONNECTIONS (keep-alive sockets, 50),
 * BENCH_DATABASE_URL (server to create the database on; a `?host=/var/run/postgresql` URL
 * uses the Unix socket).
 *
 * autocannon's rate limit spends each connection's budget at the start of every second, i.e.
 * in bursts, which measures queueing behind the burst rather than the service: hence the
 * evenly paced open-loop generator below.
 */
const RATE = Number(process.env.BENCH_RATE ?? 200);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const SECRET = 'bench-secret-of-the-device-management-api';
const TENANT = 'bench';
const SETTINGS = {
  endpoints: [
    { name: 'plc', url: 'opc.tcp://plc:4840', securityMode: 'None', securityPolicy: 'None' },
  ],
  nodes: [
    {
      endpoint: 'plc',
      nodeId: 'ns=2;s=Line1.Temperature',
      samplingIntervalMs: 100,
      publishingIntervalMs: 500,
    },
  ],
  buffering: { maxMessages: 10000, maxBytes: 10485760, overflowPolicy: 'dropOldest' },
};

async function serve(databaseUrl: string): Promise<void> {
  const config = loadAppConfig({
    DATABASE_URL: databaseUrl,
    JWT_SECRET: SECRET,
    DATABASE_POOL_MAX: '10',
    LOG_LEVEL: 'warn',
  });
  const app = await createApp(config, pino({ level: 'warn' }));
  await app.listen(0, '127.0.0.1');
  // A restarted service first catches up with what its predecessor wrote: measured apart.
  await app.get(WorkerLifecycle).caughtUp();
  process.send!({ port: (app.getHttpServer().address() as { port: number }).port });
  process.on('message', async (message) => {
    if (message === 'stop') {
      await app.close();
      process.exit(0);
    }
  });
}

async function serveBaseline(databaseUrl: string): Promise<void> {
  const server = await serveBarePostBaseline(databaseUrl, SECRET);
  process.send!({ port: (server.address() as { port: number }).port });
  process.on('message', (message) => {
    if (message === 'stop') server.close(() => process.exit(0));
  });
}

function startServer(
  databaseUrl: string,
  role: 'server' | 'baseline' = 'server',
): Promise<Target & { child: ChildProcess }> {
  const child = fork(__filename, [], {
    env: { ...process.env, BENCH_ROLE: role, BENCH_SERVER_DB: databaseUrl },
  });
  return new Promise((resolve, reject) => {
    child.once('message', (message: { port: number }) =>
      resolve({
        child,
        port: message.port,
        pid: child.pid!,
        agent: new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS }),
      }),
    );
    child.once('exit', (code) => reject(new Error(`service exited with ${code}`)));
  });
}

interface Phase {
  name: string;
  /** The status code that counts as success. */
  expect: string;
  path: (i: number) => string;
  body: (i: number) => unknown;
  requests: number;
}

interface Target {
  port: number;
  pid: number;
  /** Keep-alive sockets, kept across the slices of a phase. */
  agent: http.Agent;
}

/** What the requests of a phase saw, added up over its slices. */
interface Tally {
  samples: number[];
  statuses: Record<string, number>;
  serverCpuSeconds: number;
  postgresCpuSeconds: number;
  seconds: number;
}

const newTally = (): Tally => ({
  samples: [],
  statuses: {},
  serverCpuSeconds: 0,
  postgresCpuSeconds: 0,
  seconds: 0,
});

/**
 * Open-loop load at a fixed rate: requests `from` to `to` of the phase, request n due at
 * start + (n - from) / rate, evenly spaced (no bursts, unlike a per-second budget), and its
 * latency counts from when it was due, so a stalled service cannot hide queueing (no
 * coordinated omission). Resolves when every request of the slice has its answer.
 */
async function runSlice(
  { port, pid, agent }: Target,
  auth: string,
  phase: Phase,
  rate: number,
  [from, to]: [number, number],
  tally: Tally,
): Promise<void> {
  // CPU per request: latency depends on what else the machine does, CPU much less so.
  const serverCpuBefore = processUsage(pid).cpuSeconds;
  const postgresCpu = new CommandCpuSampler('postgres');
  postgresCpu.start();
  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let n = from; n < to; n++) {
    const due = started + ((n - from) * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    inFlight.push(
      send(agent, port, auth, phase.path(n), phase.body(n)).then((status) => {
        tally.samples.push(performance.now() - due);
        tally.statuses[status] = (tally.statuses[status] ?? 0) + 1;
      }),
    );
  }
  await Promise.all(inFlight);
  tally.seconds += (performance.now() - started) / 1000;
  tally.serverCpuSeconds += processUsage(pid).cpuSeconds - serverCpuBefore;
  tally.postgresCpuSeconds += postgresCpu.stop();
}

function resultOf(tally: Tally, phase: Phase) {
  const requests = tally.samples.length;
  return {
    serverCpuMs: (1000 * tally.serverCpuSeconds) / requests,
    postgresCpuMs: (1000 * tally.postgresCpuSeconds) / requests,
    p: percentiles(tally.samples),
    samples: requests,
    errors: requests - (tally.statuses[phase.expect] ?? 0),
    statuses: tally.statuses,
    seconds: tally.seconds,
  };
}

/** The whole phase at `rate`, in one go. */
async function run(target: Target, auth: string, phase: Phase, rate: number) {
  const tally = newTally();
  await runSlice(target, auth, phase, rate, [0, phase.requests], tally);
  return resultOf(tally, phase);
}

/** The whole phase at `rate`; the benchmark stops unless every request got `phase.expect`. */
async function runAll(target: Target, auth: string, phase: Phase, rate: number): Promise<void> {
  const { statuses } = await run(target, auth, phase, rate);
  if (statuses[phase.expect] !== phase.requests)
    throw new Error(`${phase.name} failed: ${JSON.stringify(statuses)}`);
}

/** The body of an update request, the same for the service and the bare POST. */
const updateBody = (n: number) => ({
  targetVersion: '2.0.0',
  image: `registry.example.com/opc-core:2.0.0-${n % 7}`,
});

/**
 * The phase and the baseline in turns, one second of each at `rate`, so that both meet the
 * same moments of this noisy machine: the ratio of their P95s then tells the service from the
 * machine. (Run one after the other, a phase and a baseline 40 s apart differed by up to 40% on
 * the baseline's side alone.)
 */
async function runBeside(
  target: Target,
  phase: Phase,
  baseline: Target,
  baselinePhase: Phase,
  auth: string,
  rate: number,
) {
  const measured = newTally();
  const beside = newTally();
  for (let from = 0; from < phase.requests; from += rate) {
    const slice: [number, number] = [from, Math.min(from + rate, phase.requests)];
    await runSlice(target, auth, phase, rate, slice, measured);
    await runSlice(baseline, auth, baselinePhase, rate, slice, beside);
  }
  return { measured: resultOf(measured, phase), baseline: resultOf(beside, baselinePhase) };
}

function send(
  agent: http.Agent,
  port: number,
  auth: string,
  path: string,
  body: unknown,
): Promise<string> {
  const payload = JSON.stringify(body);
  return new Promise((resolve) => {
    const request = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent,
        headers: {
          authorization: `Bearer ${auth}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
        },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(String(response.statusCode)));
      },
    );
    request.on('error', (error) =>
      resolve(`error:${(error as NodeJS.ErrnoException).code ?? error.message}`),
    );
    request.end(payload);
  });
}

async function main(): Promise<void> {
  if (process.env.BENCH_ROLE === 'server') return serve(process.env.BENCH_SERVER_DB!);
  if (process.env.BENCH_ROLE === 'baseline') return serveBaseline(process.env.BENCH_SERVER_DB!);
  const database = await createTestDatabase(process.env.BENCH_DATABASE_URL, 'dm_bench');
  let server = await startServer(database.url);
  let baselineServer: (Target & { child: ChildProcess }) | undefined;
  try {
    // The baseline in its own process too, on the same database server, up for the whole run.
    baselineServer = await startServer(database.url, 'baseline');
    const admin = await mintDevToken(SECRET, {
      tenant: TENANT,
      roles: ['admin'],
      subject: 'bench',
    });
    const clients = RATE * SECONDS;
    const warmUp = Math.min(400, clients);
    // Clients `c-n` are registered by the process that then requests their jobs (it holds
    // their state); clients `cold-n` by a process that is then replaced, so that each of
    // their first jobs reads the client's stream from the store first; clients `warm-n` take
    // the update warm-ups of both processes (a client has one update at a time).
    const registrations = [
      ['c', clients],
      ['cold', clients],
      ['warm', 2 * warmUp],
    ] as const;
    for (const [prefix, count] of registrations) {
      await runAll(
        server,
        admin,
        {
          name: 'registration',
          expect: '201',
          requests: count,
          path: () => '/api/v1/clients',
          body: (n) => ({ clientId: `${prefix}-${n}`, version: '1.0.0' }),
        },
        500,
      );
    }
    const configWarmUp = (version: number, requests = warmUp): Phase => ({
      name: 'warm-up',
      expect: '202',
      requests,
      path: (n) => `/api/v1/clients/c-${n}/config`,
      body: () => ({ version, settings: SETTINGS }),
    });
    const updatePhase = (prefix: string, requests = clients, first = 0): Phase => ({
      name: 'update',
      expect: '202',
      requests,
      path: (n) => `/api/v1/clients/${prefix}-${first + n}/update`,
      body: updateBody,
    });
    // Each measured kind of request is warmed up first: the first second of an update phase
    // that followed only config warm-ups had a P95 above the later seconds' (JIT).
    const updateWarmUp = (first: number): Phase => ({
      ...updatePhase('warm', warmUp, first),
      name: 'warm-up',
    });

    const warmUpWith = (phase: Phase) => runAll(server, admin, phase, RATE);

    const baselinePhase = (name: string): Phase => ({
      name,
      expect: '202',
      requests: clients,
      path: (n) => `/baseline/clients/c-${n}/update`,
      body: updateBody,
    });
    const besideBaseline = (phase: Phase) =>
      runBeside(server, phase, baselineServer!, baselinePhase('baseline'), admin, RATE);

    // The baseline is warmed up too, with as many requests as a phase has.
    await runAll(baselineServer, admin, baselinePhase('baseline warm-up'), RATE);
    await warmUpWith(configWarmUp(1));
    await warmUpWith(updateWarmUp(0));
    const update = await besideBaseline(updatePhase('c'));
    // Config: clients in turn, each with its next version (the warm-up used version 1).
    const config = await besideBaseline({
      name: 'config',
      expect: '202',
      requests: clients,
      path: (n) => `/api/v1/clients/c-${n % clients}/config`,
      body: (n) => ({ version: 2 + Math.floor(n / clients), settings: SETTINGS }),
    });

    await stopServer(server);
    server = await startServer(database.url);
    // As long a warm-up as the first process had before its update phase (its registrations):
    // after only 400 requests its JIT was still compiling, which cost this phase more than the
    // read it measures (P50 2.29 ms against 2.05 ms after this warm-up, 2026-12-01).
    await warmUpWith(configWarmUp(3, clients));
    // On clients new to this process too, as the phase's are.
    await warmUpWith(updateWarmUp(warmUp));
    const updateCold = await besideBaseline(updatePhase('cold'));

    console.log(
      `\nbench:api — ${RATE} req/s for ${SECONDS} s, open loop (evenly paced), up to ${CONNECTIONS} sockets, PostgreSQL ${new URL(database.url).host}, service in its own process`,
    );
    console.log(
      'endpoint                               requests  P50        P95        P99        max        errors  achieved  server CPU/req  PostgreSQL CPU/req',
    );
    const beside = '  baseline beside it: bare POST';
    for (const [name, r] of [
      ['POST /clients/{id}/update', update.measured],
      [beside, update.baseline],
      ['POST /clients/{id}/config', config.measured],
      [beside, config.baseline],
      ['POST update, client new to process', updateCold.measured],
      [beside, updateCold.baseline],
    ] as const) {
      console.log(
        `${name.padEnd(38)} ${String(r.samples).padEnd(9)} ${ms(r.p.p50).padEnd(10)} ${ms(r.p.p95).padEnd(10)} ${ms(r.p.p99).padEnd(10)} ${ms(r.p.max).padEnd(10)} ${String(r.errors).padEnd(7)} ${`${(r.samples / r.seconds).toFixed(0)} req/s`.padEnd(9)} ${ms(r.serverCpuMs).padEnd(15)} ${ms(r.postgresCpuMs)}`,
      );
      if (r.errors > 0) console.log(`  statuses: ${JSON.stringify(r.statuses)}`);
    }
    type Pair = typeof update;
    const ratio = ({ measured, baseline }: Pair) =>
      `${(measured.p.p95 / baseline.p.p95).toFixed(2)}x`;
    const cpuRatio = ({ measured, baseline }: Pair) =>
      `${(measured.serverCpuMs / baseline.serverCpuMs).toFixed(2)}x`;
    console.log(
      `P95 as a multiple of the baseline's beside it (JWT, body check, one INSERT and commit; goal at most 2x): update ${ratio(update)}, config ${ratio(config)}; update of a client new to the process (one more read) ${ratio(updateCold)}`,
    );
    console.log(
      `server CPU per request as a multiple of the baseline's: update ${cpuRatio(update)}, config ${cpuRatio(config)} (PostgreSQL CPU counts every postgres process on the machine)`,
    );
  } finally {
    await stopServer(server);
    if (baselineServer) await stopServer(baselineServer);
    await database.drop();
  }
}

async function stopServer({ child, agent }: Target & { child: ChildProcess }): Promise<void> {
  agent.destroy();
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.send('stop');
  await exited;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
