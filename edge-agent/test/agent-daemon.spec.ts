import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { startEdgeAgent, type RunningAgent } from '../src/agent/edge-agent';
import { AgentData } from '../src/cli/agent-data';
import { formatHistory, formatJob } from '../src/cli/format';
import { agentSettingsSchema } from '../src/config/agent-settings';
import { COMMIT_PATH } from '../src/update-machine/update-machine';
import { FakeContainerRuntime } from '../src/container-runtime/testing/fake-container-runtime';
import { configCommandFor, updateCommandFor } from './fixtures/commands';
import { RestartableAedes } from './support/restartable-aedes';
import { ServiceSide } from './support/service-side';

const OLD = '127.0.0.1:5000/opcfleet/opc-core:1.0.0';
const NEW = '127.0.0.1:5000/opcfleet/opc-core:2.0.0';

/**
 * The whole daemon as `edge-agent run` assembles it (settings, link, runner, config apply,
 * inspection server) on a real broker, with the engine faked: the real engine is exercised
 * by the Podman suites.
 */
describe('edge agent daemon (aedes, fake engine)', () => {
  let broker: RestartableAedes;
  let dataDir: string;
  let service: ServiceSide;
  let agent: RunningAgent;
  let reloadEndpoint: Server;
  let reloads = 0;
  let runtime: FakeContainerRuntime;
  const address = { tenantId: `t-${randomUUID().slice(0, 12)}`, clientId: 'press-07' };
  const inspect = (p: string) => fetch(`http://127.0.0.1:${agent.inspectionPort}${p}`);

  beforeAll(async () => {
    broker = new RestartableAedes();
    await broker.start();
    reloadEndpoint = createServer((_req, res) => {
      reloads += 1;
      res.end('reloaded');
    });
    await new Promise<void>((resolve) => reloadEndpoint.listen(0, '127.0.0.1', resolve));
    dataDir = await mkdtemp(path.join(tmpdir(), 'agent-daemon-'));
    runtime = new FakeContainerRuntime();
    runtime.addRunningContainer('opc-core', OLD);
    runtime.registry.set(NEW, { behaviour: 'healthy', digest: `sha256:${'b'.repeat(64)}` });
    const settings = agentSettingsSchema.parse({
      ...address,
      mqttUrl: broker.url,
      dataDir,
      workloadContainer: 'opc-core',
      configDir: path.join(dataDir, 'workload-config'),
      reloadMethod: 'http',
      reloadUrl: `http://127.0.0.1:${(reloadEndpoint.address() as AddressInfo).port}/reload`,
      healthSettleMs: 20,
      probationSeconds: 0,
      workloadWatchSeconds: 1,
      httpPort: 0,
    });
    service = await ServiceSide.connect(broker.url, address);
    agent = await startEdgeAgent(settings, {
      runtime,
      logger: pino({ level: process.env.LOG_LEVEL ?? 'silent' }),
      runner: { retry: { backoffBaseMs: 1, backoffCapMs: 5 } },
    });
    await agent.link.whenConnected();
  });
  afterAll(async () => {
    await agent.stop(1000);
    await service.clearRetained();
    await service.close();
    await broker.stop();
    await new Promise((resolve) => reloadEndpoint.close(resolve));
    await rm(dataDir, { recursive: true, force: true });
  });

  it('carries out an update, reports it in order and counts it in /metrics', async () => {
    const command = updateCommandFor(address, { payload: { targetVersion: '2.0.0', image: NEW } });
    await service.send('update', command);
    await service.until(
      'committed',
      () => service.reportsOf(command.jobId).some((r) => r.phase === 'committed'),
      20_000,
    );
    const reports = service.reportsOf(command.jobId);
    expect(reports.map((r) => r.seq)).toEqual(reports.map((_, i) => i + 1));
    // Progress reports repeat `pulling`; the phases themselves follow the commit path exactly.
    expect(reports.map((r) => r.phase).filter((p, i, all) => all[i - 1] !== p)).toEqual([
      ...COMMIT_PATH,
    ]);
    expect(service.invalid).toEqual([]);

    const metrics = await (await inspect('/metrics')).text();
    expect(metrics).toMatch(/edge_agent_updates_total\{outcome="committed"\} 1/);
    expect(metrics).toMatch(/edge_agent_update_phase_duration_seconds_count\{phase="pulling"\} 1/);
    expect(metrics).toMatch(/edge_agent_last_swap_downtime_seconds \d/);

    // The retained state says how it ended, and how much disk the engine has left.
    const endedCommitted = (state: (typeof service.states)[number]) =>
      state.lastTransitions?.at(-1)?.state === 'committed';
    await service.until('retained state after the commit', () =>
      service.states.some(endedCommitted),
    );
    const summary = service.states.findLast(endedCommitted)!;
    // The machine's last five states, a few of them never reported as phases (probation).
    expect(summary.lastTransitions!.map((t) => t.state)).toEqual(
      expect.arrayContaining(['probation', 'committed']),
    );
    expect(summary.lastTransitions).toHaveLength(5);
    expect(summary.freeDiskBytes).toBe(runtime.freeBytes);
  });

  it('applies a config through the reload endpoint and shows its version in /state and the retained state', async () => {
    const before = reloads;
    const command = configCommandFor(address, 7);
    await service.send('config', command);
    await service.until('applied', () =>
      service.reportsOf(command.jobId).some((r) => r.phase === 'applied'),
    );
    expect(reloads).toBe(before + 1);
    const written = JSON.parse(
      await readFile(path.join(dataDir, 'workload-config', 'opc-client.json'), 'utf8'),
    );
    expect(written.endpoints[0].url).toBe('opc.tcp://plc1:4840');

    const state = await (await inspect('/state')).json();
    expect(state).toMatchObject({
      configVersion: 7,
      workload: { running: true, image: NEW },
      currentJob: null,
    });
    await service.until(
      'retained state with config 7',
      () => service.states.at(-1)?.configVersion === 7,
    );
  });

  it('reports a workload that dies after its update in the retained state and presence, and when it runs again', async () => {
    const workload = () => runtime.running().find((c) => c.name === 'opc-core')!;
    await service.until(
      'the workload seen running',
      () => service.presence.at(-1)?.workload?.running === true,
    );
    const died = workload();
    Object.assign(died, { running: false, exitCode: 137 });
    await service.until(
      'presence saying the workload is down',
      () => service.presence.at(-1)?.workload?.running === false,
    );
    expect(service.presence.at(-1)).toMatchObject({
      status: 'online',
      workload: {
        running: false,
        problem: { code: 'exited', message: expect.stringContaining('137') },
      },
    });
    await service.until(
      'retained state with the problem',
      () => service.states.at(-1)?.workload.problem?.code === 'exited',
    );
    expect(service.states.at(-1)!.workload.running).toBe(false);

    died.running = true;
    await service.until(
      'presence saying it runs again',
      () => service.presence.at(-1)?.workload?.running === true,
    );
    await service.until(
      'retained state without the problem',
      () => service.states.at(-1)?.workload.problem === undefined,
    );
  });

  it('says in its presence and state that the device clock is an hour behind the service', async () => {
    // Commands issued "in the future" by the device's clock: it is behind by at least that.
    const command = configCommandFor(address, 8, undefined, {
      issuedAt: new Date(Date.now() + 3600_000).toISOString(),
    });
    await service.send('config', command);
    await service.until(
      'presence with the skew',
      () => (service.presence.at(-1)?.clockSkewSeconds ?? 0) <= -3590,
    );
    expect(service.presence.at(-1)!.clockSkewSeconds).toBeGreaterThanOrEqual(-3601);
    await service.until(
      'retained state with the skew',
      () => (service.states.at(-1)?.clockSkewSeconds ?? 0) <= -3590,
    );
    await service.until('the config applied', () =>
      service.reportsOf(command.jobId).some((r) => r.phase === 'applied'),
    );
  });

  it('answers /healthz with the link state', async () => {
    await agent.reporter.flushed();
    const response = await inspect('/healthz');
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      ok: true,
      mqttConnected: true,
      outboxPending: 0,
    });
    expect((await inspect('/nope')).status).toBe(404);
  });

  it('lets the CLI read the jobs and their transition logs from the data dir', async () => {
    const data = new AgentData(dataDir);
    const jobs = await data.jobs();
    expect(jobs.map((j) => [j.kind, j.state])).toEqual([
      ['update', 'committed'],
      ['config', 'applied'],
      ['config', 'applied'],
    ]);
    const update = await data.job(jobs[0].jobId);
    const text = formatJob(update!, new Date());
    expect(text).toMatch(/received -> pulling/);
    expect(text).toMatch(/verifying -> probation {2}\[VERIFIED\]/);
    expect(text).toMatch(/probation -> committed {2}\[PROBATION_PASSED\]/);
    expect(formatHistory(jobs).split('\n')).toHaveLength(4);
    expect(await data.pendingReports()).toBe(0);
  });
});
