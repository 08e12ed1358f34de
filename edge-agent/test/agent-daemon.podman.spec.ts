import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import pino from 'pino';
import { startEdgeAgent, type RunningAgent } from '../src/agent/edge-agent';
import { agentSettingsSchema } from '../src/config/agent-settings';
import { DOCKER_HOST, REGISTRY, WorkloadFixture } from './engine/workload-fixture';
import { configCommandFor, updateCommandFor, validOpcSettings } from './fixtures/commands';
import { ServiceSide } from './support/service-side';

jest.setTimeout(180_000);

const MQTT_URL = process.env.TEST_MOSQUITTO_URL ?? 'mqtt://127.0.0.1:1884';

/**
 * The daemon as deployed: Mosquitto (MQTT 5), the real update runner on Podman, config apply
 * by SIGHUP through the engine's kill API into a real workload container (infra/images).
 */
const run = promisify(execFile);

describe('edge agent daemon on Podman and Mosquitto', () => {
  let fixture: WorkloadFixture;
  let dataDir: string;
  let service: ServiceSide;
  let agent: RunningAgent | null = null;
  const address = { tenantId: `t-${randomUUID().slice(0, 12)}`, clientId: 'press-07' };

  async function startAgent() {
    const settings = agentSettingsSchema.parse({
      ...address,
      mqttUrl: MQTT_URL,
      mqttVersion: 5,
      dataDir,
      dockerHost: DOCKER_HOST,
      insecureRegistries: [REGISTRY],
      workloadContainer: fixture.containerName,
      configDir: fixture.configDir,
      configVerdictUrl: `http://127.0.0.1:${fixture.hostPort}/config-status`,
      healthSettleMs: 1000,
      probationSeconds: 1,
      workloadWatchSeconds: 1,
      healthProbePort: 8080,
      healthProbeTimeoutMs: 5000,
      stopTimeoutSeconds: 5,
      httpPort: 0,
    });
    agent = await startEdgeAgent(settings, {
      logger: pino({ level: process.env.LOG_LEVEL ?? 'silent' }),
      runner: { retry: { maxPullAttempts: 2, backoffBaseMs: 100, backoffCapMs: 200 } },
    });
    await agent.link.whenConnected();
  }

  const workloadFile = (name: string) =>
    fetch(`http://127.0.0.1:${fixture.hostPort}/${name}`).then(async (r) =>
      r.ok ? (await r.text()).trim() : `HTTP ${r.status}`,
    );

  const configJob = async (version: number, settings: Record<string, unknown>) => {
    const command = configCommandFor(address, version, settings);
    await service.send('config', command);
    await service.until(`config ${version} finished`, () =>
      service.reportsOf(command.jobId).some((r) => r.phase === 'applied' || r.phase === 'rejected'),
    );
    return service.reportsOf(command.jobId).at(-1)!;
  };

  beforeEach(async () => {
    fixture = new WorkloadFixture();
    dataDir = await mkdtemp(path.join(tmpdir(), 'agent-podman-'));
    service = await ServiceSide.connect(MQTT_URL, address, 5);
  });
  afterEach(async () => {
    await agent?.stop(2000);
    agent = null;
    await service.clearRetained();
    await service.close();
    await fixture.cleanup();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('applies a config to the running workload, rejects a bad one while the old keeps running, then updates keeping it', async () => {
    await fixture.stage('1.0.0', '2.0.0');
    await fixture.createWorkload('1.0.0');
    await startAgent();

    const applied = await configJob(1, validOpcSettings(500));
    expect(applied).toMatchObject({ phase: 'applied', configVersion: 1 });
    expect(await workloadFile('config-status')).toBe('applied');
    expect(JSON.parse(await workloadFile('config')).nodes[0].samplingIntervalMs).toBe(500);

    const bad = await configJob(2, { endpoints: [{ name: 'plc1', url: 'http://not-opc' }] });
    expect(bad).toMatchObject({
      phase: 'rejected',
      configVersion: 2,
      error: { code: 'invalid_config' },
    });
    expect(bad.error!.fieldErrors!.map((e) => e.path)).toContain('settings.endpoints.0.url');
    expect(JSON.parse(await workloadFile('config')).nodes[0].samplingIntervalMs).toBe(500);
    expect(await fixture.health()).toBe('ok 1.0.0');

    const update = updateCommandFor(address, {
      payload: { targetVersion: '2.0.0', image: fixture.image('2.0.0') },
    });
    await service.send('update', update);
    await service.until(
      'committed',
      () => service.reportsOf(update.jobId).some((r) => r.phase === 'committed'),
      120_000,
    );
    expect(await fixture.health()).toBe('ok 2.0.0');
    // The new container has the same config mount, and loaded the applied config at start.
    expect(JSON.parse(await workloadFile('config')).nodes[0].samplingIntervalMs).toBe(500);
    const seqs = service.reportsOf(update.jobId).map((r) => r.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
  });

  it('reports a workload killed on the engine in its presence, and when the engine restarts it', async () => {
    await fixture.stage('1.0.0');
    await fixture.createWorkload('1.0.0');
    await startAgent();
    await service.until(
      'the workload seen running',
      () => service.presence.at(-1)?.workload?.running === true,
    );
    await run('podman', ['kill', '--signal', 'KILL', fixture.containerName]);
    await service.until(
      'presence saying it is down',
      () => service.presence.at(-1)?.workload?.running === false,
    );
    expect(service.presence.at(-1)!.workload!.problem).toMatchObject({
      code: 'exited',
      message: `${fixture.containerName} exited with code 137`,
    });
    await service.until(
      'the retained state saying so',
      () => service.states.at(-1)?.workload.running === false,
    );
    await run('podman', ['start', fixture.containerName]);
    await service.until(
      'presence saying it runs again',
      () => service.presence.at(-1)?.workload?.running === true,
    );
  });

  it('restores the previous file when the workload refuses the config, and the workload keeps running', async () => {
    await fixture.stage('rejects-config');
    await fixture.createWorkload('rejects-config');
    const provisioned = await readFile(path.join(fixture.configDir, 'opc-client.json'), 'utf8');
    await startAgent();

    const refused = await configJob(1, validOpcSettings());
    expect(refused).toMatchObject({ phase: 'rejected', error: { code: 'workload_rejected' } });
    expect(refused.error!.message).toMatch(/rejected the config/);
    expect(await readFile(path.join(fixture.configDir, 'opc-client.json'), 'utf8')).toBe(
      provisioned,
    );
    expect(await fixture.health()).toMatch(/^ok /);
  });
});
