import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { WorkloadFixture } from '../../../edge-agent/test/engine/workload-fixture';
import { AGENT_CLI, spawnAgent } from '../../../edge-agent/test/support/agent-process';
import type { RunningService } from '../../device-management/src/start-service';
import {
  startNpmStartService,
  type NpmStartService,
} from '../../device-management/test/support/npm-start-service';
import { launchChromium, screenshot, watchProblems } from './browser';

jest.setTimeout(240_000);

/**
 * The console driving a real device: the built edge agent (`dist/`, `npm run build` first) with
 * its workload container on Podman, images from the test registry (127.0.0.1:5000), connected
 * to the service's embedded aedes with the credential the service issued.
 */
describe('console with the real agent (Chromium, service, PostgreSQL, aedes, edge agent, Podman)', () => {
  const clientId = 'press-podman';
  let started: NpmStartService;
  let agentDir: string;
  let service: RunningService;
  let browser: Browser;
  let fixture: WorkloadFixture;
  let agent: ChildProcess | undefined;

  beforeAll(async () => {
    if (!existsSync(AGENT_CLI)) throw new Error(`${AGENT_CLI} is missing: run npm run build first`);
    fixture = new WorkloadFixture();
    [agentDir, browser] = await Promise.all([
      mkdtemp(join(tmpdir(), 'console-agent-device-')),
      launchChromium(),
      fixture.stage('1.0.0', '2.0.0'),
    ]);
    [started] = await Promise.all([
      startNpmStartService('console_agent'),
      fixture.createWorkload('1.0.0'),
    ]);
    service = started.service;
    const api = async (path: string, body: unknown) => {
      const response = await fetch(`${service.httpUrl}/api/v1${path}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${service.token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (!response.ok) throw new Error(`POST ${path}: ${response.status}`);
      return (await response.json()) as { username: string; password: string };
    };
    await api('/clients', { clientId, labels: { site: 'plant-7' }, version: '1.0.0' });
    const credential = await api(`/clients/${clientId}/credentials`, {});
    agent = spawnAgent({
      address: { tenantId: 'demo', clientId },
      mqttUrl: service.infrastructure.mqttUrl,
      dataDir: agentDir,
      fixture,
      stdio: ['ignore', 'ignore', 'inherit'],
      // The embedded aedes speaks MQTT 3.1.1, and takes the devices' issued credentials.
      env: {
        EDGE_AGENT_MQTT_VERSION: '4',
        EDGE_AGENT_MQTT_USERNAME: credential.username,
        EDGE_AGENT_MQTT_PASSWORD: credential.password,
      },
    });
  });

  afterAll(async () => {
    if (agent && agent.exitCode === null && !agent.signalCode) {
      const exited = new Promise((resolve) => agent!.once('exit', resolve));
      agent.kill('SIGTERM');
      await exited;
    }
    await browser?.close();
    await started?.stop();
    await fixture?.cleanup();
    if (agentDir) await rm(agentDir, { recursive: true, force: true });
  });

  it('an admin updates a client in the console and sees 2.0.0 running on the device', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const problems = watchProblems(page);
    await page.goto(`${service.httpUrl}/#/clients/${clientId}`);
    await page.getByRole('button', { name: 'demo admin' }).click();
    // The agent is connected: its presence makes the client Online.
    await page.getByTestId('client-status').getByText('Online').waitFor({ timeout: 60_000 });
    await page.getByTestId('client-version').getByText('1.0.0 running').waitFor();

    await page.getByLabel('Image', { exact: true }).fill(fixture.image('2.0.0'));
    await page.getByLabel('Version', { exact: true }).fill('2.0.0');
    await page.getByRole('button', { name: 'Update', exact: true }).click();
    await page.getByTestId('client-status').getByText('Updating...').waitFor();
    await page
      .getByTestId('client-version')
      .getByText('2.0.0 running', { exact: true })
      .waitFor({ timeout: 180_000 });
    await page.getByTestId('client-status').getByText('Online').waitFor();
    // What the agent itself says (its retained state summary): the new workload, no job.
    const device = page.getByTestId('device-state');
    await device.getByText('2.0.0, running').waitFor({ timeout: 10_000 });
    await device.getByText('none', { exact: true }).waitFor();
    // The machine's last states, up to the commit.
    await device.getByText(/probation .* → committed /).waitFor({ timeout: 10_000 });
    await screenshot(page, 'client-updated-by-agent');

    // What the engine runs: the new version, one container.
    expect(await fixture.health()).toBe('ok 2.0.0');
    const running = (await fixture.containers()).filter((c) => c.State === 'running');
    expect(running.map((c) => c.Image)).toEqual([fixture.image('2.0.0')]);
    // The job, as the device reported it.
    await page.getByRole('link', { name: 'Update to 2.0.0' }).click();
    await page.getByTestId('job-status').getByText('Succeeded').waitFor();
    await page
      .getByTestId('job-timeline')
      .getByText(/committed/)
      .waitFor();
    expect(problems).toEqual([]);
    await context.close();
  });
});
