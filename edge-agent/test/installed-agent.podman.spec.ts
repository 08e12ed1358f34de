import { execFile, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { DOCKER_HOST, WorkloadFixture } from './engine/workload-fixture';
import { updateCommandFor } from './fixtures/commands';
import { nodeFlagsOf, spawnAgent } from './support/agent-process';
import { ServiceSide } from './support/service-side';

jest.setTimeout(240_000);

const MQTT_URL = process.env.TEST_MOSQUITTO_URL ?? 'mqtt://127.0.0.1:1884';
const DIST_AGENT = path.resolve(__dirname, '../..', 'dist/agent').replace(/dist\/dist\//, 'dist/');
const run = promisify(execFile);

/**
 * The agent as a device gets it: dist/agent (the one-file bundle, install.sh and the systemd
 * unit) copied to a clean directory, installed there with install.sh (no systemd in a test),
 * started as the installed `opcfleet-agent` command with the settings file it wrote, and an
 * update carried out on the real engine. Needs `npm run build` first (npm test does it).
 */
describe('the installed agent (dist/agent, install.sh) on Podman and Mosquitto', () => {
  let fixture: WorkloadFixture;
  let device: string;
  let service: ServiceSide;
  let agent: ChildProcess | undefined;
  const address = { tenantId: `t-${randomUUID().slice(0, 12)}`, clientId: 'press-09' };

  beforeAll(async () => {
    if (!existsSync(path.join(DIST_AGENT, 'opcfleet-agent.cjs'))) {
      throw new Error(`${DIST_AGENT} is missing: run npm run build first`);
    }
    fixture = new WorkloadFixture();
    device = await mkdtemp(path.join(tmpdir(), 'installed-agent-'));
    service = await ServiceSide.connect(MQTT_URL, address, 5);
  });
  afterAll(async () => {
    if (agent && agent.exitCode === null && !agent.signalCode) {
      agent.kill('SIGKILL');
      await new Promise((resolve) => agent!.once('exit', resolve));
    }
    await service?.clearRetained();
    await service?.close();
    await fixture?.cleanup();
    await rm(device, { recursive: true, force: true });
  });

  it('installs from dist/agent with its credential, runs as opcfleet-agent, and updates the workload', async () => {
    await fixture.stage('1.0.0', '2.0.0');
    await fixture.createWorkload('1.0.0');
    await cp(DIST_AGENT, path.join(device, 'download'), { recursive: true });
    const credential = path.join(device, 'credential');
    await writeFile(credential, 'device-secret-09\n', { mode: 0o600 });
    const { stdout } = await run('bash', [
      path.join(device, 'download/install.sh'),
      ...['--tenant', address.tenantId, '--client', address.clientId],
      ...['--broker-url', MQTT_URL, '--password-file', credential],
      ...['--workload-container', fixture.containerName, '--config-dir', fixture.configDir],
      ...['--health-probe-port', '8080', '--docker-host', DOCKER_HOST],
      ...['--prefix', path.join(device, 'usr'), '--etc-dir', path.join(device, 'etc')],
      '--no-systemd',
    ]);
    expect(stdout).toContain('opcfleet-agent installed');

    // The settings hold the credential: only their owner may read them.
    const settingsFile = path.join(device, 'etc/agent.json');
    expect((await stat(settingsFile)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(settingsFile, 'utf8'))).toMatchObject({
      tenantId: address.tenantId,
      clientId: address.clientId,
      mqttUrl: MQTT_URL,
      mqttUsername: `tenants/${address.tenantId}/clients/${address.clientId}`,
      mqttPassword: 'device-secret-09',
      workloadContainer: fixture.containerName,
      healthProbePort: 8080,
    });
    const command = path.join(device, 'usr/bin/opcfleet-agent');
    const { stdout: status } = await run(command, [
      'status',
      '--data-dir',
      path.join(device, 'data'),
    ]);
    expect(status).toContain('no jobs yet');

    agent = spawnAgent({
      address,
      mqttUrl: MQTT_URL,
      dataDir: path.join(device, 'data'),
      fixture,
      installed: { command, settingsFile },
    });
    await service.until('online', () => service.presence.at(-1)?.status === 'online', 30_000);
    // The launcher runs node the way bench:agent measures the daemon's memory.
    const argv = (await readFile(`/proc/${agent.pid}/cmdline`, 'utf8')).split('\0');
    const nodeFlags = nodeFlagsOf(await readFile(path.join(DIST_AGENT, 'node-flags'), 'utf8'));
    expect(nodeFlags).toContain('--no-opt');
    expect(argv).toEqual(expect.arrayContaining(nodeFlags));
    const update = updateCommandFor(address, {
      payload: { targetVersion: '2.0.0', image: fixture.image('2.0.0') },
    });
    await service.send('update', update);
    await service.until(
      'committed',
      () => service.reportsOf(update.jobId).some((report) => report.phase === 'committed'),
      120_000,
    );
    expect(await fixture.health()).toBe('ok 2.0.0');
  });
});
