/**
 * npm run bench:swap — downtime of the agent's container swap on the real engine, beside a naive
 * `stop; rm; run` through the same engine API, plus the agent's resident memory when idle and
 * during an update. Downtime: from the last answer of the old workload's health endpoint
 * (polled every 10 ms on its published port) to the first answer of the new one. Images are
 * pulled beforehand in both cases: the pull happens before anything stops in the agent too.
 *
 * The agent runs in a child process (this file with `agent` as argument) so its memory is
 * measured alone. env: RUNS (default 5), DOCKER_HOST, TEST_REGISTRY.
 */
import { fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DockerodeRuntime } from '../src/container-runtime/dockerode-runtime';
import { FileSnapshotStore } from '../src/snapshot-store/file-snapshot-store';
import { silentLogger } from '../src/update-machine/logger';
import type { PhaseReport } from '../src/update-machine/phase-reports';
import { UpdateJobRunner } from '../src/update-machine/update-job-runner';
import {
  DOCKER_HOST,
  WorkloadFixture,
  engine,
  updateCommand,
} from '../test/engine/workload-fixture';

const RUNS = Number(process.env.RUNS ?? 5);
const MB = 1024 * 1024;

type ToAgent = { kind: 'update'; command: ReturnType<typeof updateCommand> };
type FromAgent =
  | { kind: 'ready'; idleRss: number }
  | { kind: 'done'; phases: string[]; peakRss: number; error?: string };

/** Polls the health endpoint and measures the gap between the old and the new version answering. */
class DowntimeProbe {
  private lastOld = 0;
  private firstNew = 0;
  private stopped = false;
  private loop: Promise<void> | null = null;

  constructor(
    private readonly fixture: WorkloadFixture,
    private readonly oldVersion: string,
    private readonly newVersion: string,
  ) {}

  start() {
    this.loop = (async () => {
      while (!this.stopped) {
        const body = await this.fixture.health();
        const now = performance.now();
        if (body === `ok ${this.oldVersion}` && !this.firstNew) this.lastOld = now;
        if (body === `ok ${this.newVersion}` && !this.firstNew) this.firstNew = now;
        if (this.firstNew) return;
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
  }

  async downtimeMs(timeoutMs = 60_000): Promise<number> {
    const until = Date.now() + timeoutMs;
    while (!this.firstNew && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    this.stopped = true;
    await this.loop;
    if (!this.firstNew || !this.lastOld) throw new Error('the new version never answered');
    return this.firstNew - this.lastOld;
  }
}

async function naiveSwap(fixture: WorkloadFixture, image: string): Promise<void> {
  const docker = engine();
  const old = await docker.getContainer(fixture.containerName).inspect();
  await docker.getContainer(old.Id).stop({ t: 10 });
  await docker.getContainer(old.Id).remove();
  const created = await docker.createContainer({
    name: fixture.containerName,
    Image: image,
    Env: ['SITE=plant-7', 'OPC_HTTP_PORT=8080'],
    Labels: { 'com.example.site': 'plant-7' },
    HostConfig: {
      Binds: [`${fixture.configDir}:/config:ro`, `${fixture.volumeName}:/data`],
      PortBindings: { '8080/tcp': [{ HostPort: String(fixture.hostPort) }] },
      RestartPolicy: { Name: 'no' },
    },
  });
  await created.start();
}

function stats(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return { mean, median: sorted[Math.floor(sorted.length / 2)]!, max: sorted.at(-1)! };
}

const fmt = (ms: number) => `${ms.toFixed(0)} ms`;

async function main(): Promise<void> {
  const fixture = new WorkloadFixture();
  const agent = fork(__filename, ['agent', fixture.containerName], { stdio: 'inherit' });
  const messages: FromAgent[] = [];
  let wake: (() => void) | null = null;
  agent.on('message', (m: FromAgent) => {
    messages.push(m);
    wake?.();
  });
  const next = async (): Promise<FromAgent> => {
    while (messages.length === 0) await new Promise<void>((r) => (wake = r));
    return messages.shift()!;
  };
  try {
    console.log(`swap bench: ${RUNS} runs each, engine ${DOCKER_HOST}`);
    await fixture.stage('1.0.0', '2.0.0');
    await fixture.createWorkload('1.0.0');
    // Both images local before timing: only the swap itself is measured.
    await runtimeFor().pullImage(fixture.image('2.0.0'));
    const ready = await next();
    const idleRss = ready.kind === 'ready' ? ready.idleRss : 0;

    const versions = ['1.0.0', '2.0.0'];
    let current = 0;
    const agentTimes: number[] = [];
    const naiveTimes: number[] = [];
    let peakRss = 0;
    for (let run = 0; run < RUNS; run++) {
      for (const mode of ['agent', 'naive'] as const) {
        const from = versions[current]!;
        const to = versions[1 - current]!;
        const probe = new DowntimeProbe(fixture, from, to);
        probe.start();
        await new Promise((r) => setTimeout(r, 200));
        if (mode === 'agent') {
          agent.send({
            kind: 'update',
            command: updateCommand(fixture.image(to), to),
          } satisfies ToAgent);
          const done = await next();
          if (done.kind !== 'done' || done.error || done.phases.at(-1) !== 'committed') {
            throw new Error(`agent update failed: ${JSON.stringify(done)}`);
          }
          peakRss = Math.max(peakRss, done.peakRss);
          agentTimes.push(await probe.downtimeMs());
        } else {
          await naiveSwap(fixture, fixture.image(to));
          naiveTimes.push(await probe.downtimeMs());
        }
        current = 1 - current;
      }
    }
    const a = stats(agentTimes);
    const n = stats(naiveTimes);
    console.log(
      `agent swap downtime:  mean ${fmt(a.mean)}  median ${fmt(a.median)}  max ${fmt(a.max)}  (${agentTimes.map(fmt).join(', ')})`,
    );
    console.log(
      `naive stop;rm;run:    mean ${fmt(n.mean)}  median ${fmt(n.median)}  max ${fmt(n.max)}  (${naiveTimes.map(fmt).join(', ')})`,
    );
    console.log(
      `ratio agent/naive (mean): ${(a.mean / n.mean).toFixed(2)}   target: <= 1 and agent < 2000 ms`,
    );
    console.log(
      `agent resident memory: idle ${(idleRss / MB).toFixed(1)} MB, during update (peak) ${(peakRss / MB).toFixed(1)} MB   target: < 80 MB`,
    );
  } finally {
    agent.kill();
    await fixture.cleanup();
  }
}

function runtimeFor() {
  return new DockerodeRuntime({ dockerHost: DOCKER_HOST });
}

/** The agent side: one runner over the real engine, reporting its memory. */
async function agentMain(containerName: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'swap-bench-jobs-'));
  const runner = new UpdateJobRunner({
    runtime: runtimeFor(),
    snapshots: new FileSnapshotStore(dir),
    workload: {
      containerName,
      stopTimeoutSeconds: 10,
      health: {
        settleMs: 500,
        probeTimeoutMs: 5000,
        probe: { kind: 'http', port: 8080, path: '/health' },
      },
    },
    onPhase: async (report: PhaseReport) => void phases.push(report.phase),
    logger: silentLogger,
  });
  let phases: string[] = [];
  await new Promise((r) => setTimeout(r, 500));
  process.send!({ kind: 'ready', idleRss: process.memoryUsage().rss } satisfies FromAgent);
  process.on('message', async (message: ToAgent) => {
    phases = [];
    let peakRss = process.memoryUsage().rss;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
    try {
      const result = await runner.start(message.command);
      if (!result.accepted) throw new Error(result.reason);
      await runner.whenIdle();
      process.send!({ kind: 'done', phases, peakRss } satisfies FromAgent);
    } catch (error) {
      process.send!({ kind: 'done', phases, peakRss, error: String(error) } satisfies FromAgent);
    } finally {
      clearInterval(sampler);
    }
  });
  process.on(
    'disconnect',
    () => void rm(dir, { recursive: true, force: true }).then(() => process.exit(0)),
  );
}

if (process.argv[2] === 'agent') {
  void agentMain(process.argv[3]!);
} else {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
