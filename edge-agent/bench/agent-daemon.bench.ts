/**
 * npm run bench:agent — the whole `edge-agent run` process (link, outbox, runner, config apply,
 * inspection server) on Mosquitto and Podman: its resident memory idle, during an update and
 * during a burst of config jobs, and how long a command takes from publish to its final report.
 * env: CONFIG_JOBS (default 30), TEST_MOSQUITTO_URL, DOCKER_HOST, TEST_REGISTRY.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { WorkloadFixture } from '../test/engine/workload-fixture';
import { spawnAgent } from '../test/support/agent-process';
import { configCommandFor, updateCommandFor, validOpcSettings } from '../test/fixtures/commands';
import { ServiceSide } from '../test/support/service-side';

const CONFIG_JOBS = Number(process.env.CONFIG_JOBS ?? 30);
const MQTT_URL = process.env.TEST_MOSQUITTO_URL ?? 'mqtt://127.0.0.1:1884';
const MB = 1024 * 1024;
/** How the daemon is meant to be run (see the `agent` npm script): a small young generation. */
const AGENT_NODE_FLAGS = (process.env.AGENT_NODE_FLAGS ?? '--max-semi-space-size=1')
  .split(' ')
  .filter(Boolean);

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

async function main() {
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
    nodeFlags: AGENT_NODE_FLAGS,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    await service.until('agent online', () => service.presence.at(-1)?.status === 'online', 30_000);
    await new Promise((r) => setTimeout(r, 3000));
    const idleRss = await rssOf(agent.pid!);

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

    console.log(
      `edge-agent daemon (one process: link, outbox, update runner, config apply, inspection), node ${AGENT_NODE_FLAGS.join(' ')}`,
    );
    console.log(
      `  RSS idle:                          ${(idleRss / MB).toFixed(1)} MB   (target < 80 MB)`,
    );
    console.log(`  RSS peak during an update:         ${(updateRss / MB).toFixed(1)} MB`);
    console.log(
      `  RSS peak during ${CONFIG_JOBS} config jobs:      ${(configRss / MB).toFixed(1)} MB   (target < 80 MB)`,
    );
    console.log(
      `  update 1.0.0 -> 2.0.0, command to committed report: ${(updateMs / 1000).toFixed(2)} s (includes a 1 s settle period)`,
    );
    console.log(
      `  config job, command to applied report (SIGHUP + workload verdict): median ${percentile(latencies, 0.5).toFixed(0)} ms, p95 ${percentile(latencies, 0.95).toFixed(0)} ms over ${CONFIG_JOBS}`,
    );
  } finally {
    agent.kill('SIGTERM');
    await new Promise((r) => agent.once('exit', r));
    await service.clearRetained();
    await service.close();
    await fixture.cleanup();
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
