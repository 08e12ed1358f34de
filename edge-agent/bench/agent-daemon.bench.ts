/**
 * npm run bench:agent — the whole `edge-agent run` process (link, outbox, runner, config apply,
 * inspection server) on Mosquitto and Podman: its resident memory and CPU time idle, during an
 * update and during a burst of config jobs, and how long a command takes from publish to its
 * final report. Run with the node flags every launcher uses (edge-agent/packaging/node-flags),
 * then beside them with a baseline's (BASELINE_NODE_FLAGS; default: the young generation
 * setting alone, as launched before the compilers were switched off).
 * env: CONFIG_JOBS (default 30), AGENT_NODE_FLAGS, BASELINE_NODE_FLAGS ('' for none),
 * TEST_MOSQUITTO_URL, DOCKER_HOST, TEST_REGISTRY.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { processUsage } from '../../bench/fleet/measurements';
import { WorkloadFixture } from '../test/engine/workload-fixture';
import { nodeFlagsOf, PACKAGED_NODE_FLAGS, spawnAgent } from '../test/support/agent-process';
import { configCommandFor, updateCommandFor, validOpcSettings } from '../test/fixtures/commands';
import { ServiceSide } from '../test/support/service-side';

const CONFIG_JOBS = Number(process.env.CONFIG_JOBS ?? 30);
const MQTT_URL = process.env.TEST_MOSQUITTO_URL ?? 'mqtt://127.0.0.1:1884';
const MB = 1024 * 1024;
/** How the daemon is launched everywhere (install.sh, the image, `npm run agent`). */
const AGENT_NODE_FLAGS =
  process.env.AGENT_NODE_FLAGS !== undefined
    ? nodeFlagsOf(process.env.AGENT_NODE_FLAGS)
    : PACKAGED_NODE_FLAGS;
const BASELINE_NODE_FLAGS = nodeFlagsOf(
  process.env.BASELINE_NODE_FLAGS ?? '--max-semi-space-size=1',
);
/** CPU time (user + system) the process has used so far, in ms. */
const cpuMsOf = (pid: number): number => processUsage(pid).cpuSeconds * 1000;

async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

/** Samples a process's RSS every 20 ms until stopped; returns the peak. */
function sampleRss(pid: number) {
  let peak = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      peak = Math.max(peak, await rssOf(pid).catch(() => 0));
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return async () => {
    stopped = true;
    await loop;
    return peak;
  };
}

const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(p * values.length))];

interface Figures {
  idleRss: number;
  updateRss: number;
  configRss: number;
  startCpuMs: number;
  updateCpuMs: number;
  configCpuMs: number;
  updateMs: number;
  configLatencies: number[];
}

/** One daemon, launched with `nodeFlags`, through an update and a burst of config jobs. */
async function measure(nodeFlags: readonly string[]): Promise<Figures> {
  const fixture = new WorkloadFixture();
  const dataDir = await mkdtemp(path.join(tmpdir(), 'agent-bench-'));
  const address = { tenantId: `bench-${randomUUID().slice(0, 8)}`, clientId: 'press-07' };
  await fixture.stage('1.0.0', '2.0.0');
  await fixture.createWorkload('1.0.0');
  const service = await ServiceSide.connect(MQTT_URL, address, 5);
  const agent = spawnAgent({
    address,
    mqttUrl: MQTT_URL,
    dataDir,
    fixture,
    nodeFlags,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    await service.until('agent online', () => service.presence.at(-1)?.status === 'online', 30_000);
    await new Promise((r) => setTimeout(r, 3000));
    const idleRss = await rssOf(agent.pid!);
    const startCpuMs = cpuMsOf(agent.pid!);

    const updatePeak = sampleRss(agent.pid!);
    const update = updateCommandFor(address, {
      payload: { targetVersion: '2.0.0', image: fixture.image('2.0.0') },
    });
    const updateStart = performance.now();
    await service.send('update', update);
    await service.until(
      'committed',
      () => service.reportsOf(update.jobId).some((r) => r.phase === 'committed'),
      120_000,
    );
    const updateMs = performance.now() - updateStart;
    const updateRss = await updatePeak();
    const updateCpuMs = cpuMsOf(agent.pid!) - startCpuMs;

    const configPeak = sampleRss(agent.pid!);
    const latencies: number[] = [];
    for (let version = 1; version <= CONFIG_JOBS; version++) {
      const command = configCommandFor(address, version, validOpcSettings(100 + version));
      const start = performance.now();
      await service.send('config', command);
      await service.until(`config ${version}`, () =>
        service.reportsOf(command.jobId).some((r) => r.phase === 'applied'),
      );
      latencies.push(performance.now() - start);
    }
    const configRss = await configPeak();
    const configCpuMs = cpuMsOf(agent.pid!) - startCpuMs - updateCpuMs;
    return {
      idleRss,
      updateRss,
      configRss,
      startCpuMs,
      updateCpuMs,
      configCpuMs,
      updateMs,
      configLatencies: latencies,
    };
  } finally {
    agent.kill('SIGTERM');
    await new Promise((r) => agent.once('exit', r));
    await service.clearRetained();
    await service.close();
    await fixture.cleanup();
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function main() {
  const runs: Array<[string, Figures]> = [['agent', await measure(AGENT_NODE_FLAGS)]];
  if (BASELINE_NODE_FLAGS.length > 0) {
    runs.push(['baseline beside it', await measure(BASELINE_NODE_FLAGS)]);
  }
  console.log(
    'edge-agent daemon (one process: link, outbox, update runner, config apply, inspection)',
  );
  console.log(`  agent:    node ${AGENT_NODE_FLAGS.join(' ')} (edge-agent/packaging/node-flags)`);
  if (runs.length > 1) console.log(`  baseline: node ${BASELINE_NODE_FLAGS.join(' ')}`);
  const rows: Array<[string, (f: Figures) => string]> = [
    ['RSS idle (target < 80 MB)', (f) => `${(f.idleRss / MB).toFixed(1)} MB`],
    ['RSS peak during an update', (f) => `${(f.updateRss / MB).toFixed(1)} MB`],
    [
      `RSS peak during ${CONFIG_JOBS} config jobs (target < 80 MB)`,
      (f) => `${(f.configRss / MB).toFixed(1)} MB`,
    ],
    ['CPU from start to idle', (f) => `${f.startCpuMs.toFixed(0)} ms`],
    ['CPU during the update', (f) => `${f.updateCpuMs.toFixed(0)} ms`],
    [`CPU during ${CONFIG_JOBS} config jobs`, (f) => `${f.configCpuMs.toFixed(0)} ms`],
    [
      'update 1.0.0 -> 2.0.0, command to committed (incl. 1 s settle)',
      (f) => `${(f.updateMs / 1000).toFixed(2)} s`,
    ],
    [
      'config job, command to applied: median / p95',
      (f) =>
        `${percentile(f.configLatencies, 0.5).toFixed(0)} / ${percentile(f.configLatencies, 0.95).toFixed(0)} ms`,
    ],
  ];
  console.log(`  ${''.padEnd(64)}${runs.map(([name]) => name.padEnd(22)).join('')}`);
  for (const [label, cell] of rows) {
    console.log(`  ${label.padEnd(64)}${runs.map(([, f]) => cell(f).padEnd(22)).join('')}`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
