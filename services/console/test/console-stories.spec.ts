import type { Browser, BrowserContext } from 'playwright-core';
import { SimulatedDevice } from '../../../test/e2e/harness/simulated-device';
import type { RunningService } from '../../device-management/src/start-service';
import {
  startNpmStartService,
  type NpmStartService,
} from '../../device-management/test/support/npm-start-service';
import { expectAccessible, launchChromium, screenshot, signInWithButton } from './browser';

/**
 * The console's stories in a real headless Chromium against the real service (as `npm start`
 * runs it: embedded aedes broker and development key) on PostgreSQL, with a simulated device
 * answering over MQTT. One browser and one service for the whole file.
 */
describe('console stories (Chromium, service, PostgreSQL, aedes, simulated device)', () => {
  let started: NpmStartService;
  let service: RunningService;
  let devices: SimulatedDevice[] = [];
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  /** The update job of the first story, replayed by the auditor. */
  let updateJobId: string;

  const api = (method: string, path: string, body?: unknown) => started.api(method, path, body);

  beforeAll(async () => {
    [started, browser] = await Promise.all([startNpmStartService('console_e2e'), launchChromium()]);
    service = started.service;
    devices = await Promise.all(['line-1', 'line-2'].map(connectedDevice));
    // A client whose device never connects: its jobs stay in flight.
    await api('POST', '/clients', { clientId: 'line-away', labels: { site: 'lab' } });
  });

  /** A registered client with its credential, and its simulated device connected. */
  async function connectedDevice(clientId: string): Promise<SimulatedDevice> {
    await api('POST', '/clients', { clientId, labels: { site: 'plant-7' }, version: '1.0.0' });
    const credential = await api('POST', `/clients/${clientId}/credentials`);
    const device = new SimulatedDevice({
      url: service.infrastructure.mqttUrl,
      protocolVersion: 4,
      address: { tenantId: 'demo', clientId },
      phaseDelayMs: 120,
      credentials: {
        username: credential.username as string,
        password: credential.password as string,
      },
      failingVersions: ['6.6.6'],
      rollbackEvidence: {
        workloadLog: [
          'opc-core 6.6.6: connecting to opc.tcp://plc-7:4840 password=[REDACTED]',
          '<b>fatal</b>: the PLC refused the session',
        ],
        agentLog: ['update job transition from=verifying to=rolling_back (simulated)'],
        truncated: false,
      },
    });
    await device.connect();
    return device;
  }

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    for (const device of devices) await device.close();
    await started?.stop();
  });

  /** A fresh browser context (nothing kept: tokens live in memory), signed in by a button. */
  const signedIn = (button: string, hash = '', tenant?: string) =>
    signInWithButton(browser, contexts, `${service.httpUrl}/${hash}`, button, tenant);

  it('an admin updates a client: "Updating..." within a second of the click, then "2.0.0 running" without a reload', async () => {
    const { page, problems } = await signedIn('demo admin', '#/clients/line-1');
    await page.getByTestId('client-version').getByText('1.0.0 running').waitFor();
    await expectAccessible(page, 'client');
    const updateRequests: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().endsWith('/update')) updateRequests.push(r.url());
    });
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 1));
    await page.getByLabel('Image', { exact: true }).fill('registry.local/opc-core:2.0.0');
    await page.getByLabel('Version', { exact: true }).fill('2.0.0');

    const clicked = Date.now();
    await page.getByRole('button', { name: 'Update', exact: true }).dblclick();
    await page.getByTestId('client-status').getByText('Updating...').waitFor({ timeout: 1000 });
    const updatingAfterMs = Date.now() - clicked;
    await screenshot(page, 'client-updating');
    const requestsOfTheDoubleClick = updateRequests.length;
    await page
      .getByTestId('client-version')
      .getByText('2.0.0 running', { exact: true })
      .waitFor({ timeout: 20_000 });
    await page.getByTestId('client-status').getByText('Online').waitFor();

    expect(updatingAfterMs).toBeLessThan(1000);
    expect(requestsOfTheDoubleClick).toBe(1); // the double click sent one request
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(1);
    const jobLink = page.getByRole('link', { name: 'Update to 2.0.0' });
    updateJobId = (await jobLink.getAttribute('href'))!.split('/').pop()!;
    await page.getByRole('link', { name: 'Fleet' }).click();
    await page
      .getByRole('row', { name: /line-1/ })
      .getByText('2.0.0 running')
      .waitFor();
    await expectAccessible(page, 'fleet');

    // Its 1.0.0 came with the registration, without an image: nothing to roll back to.
    await page.getByRole('link', { name: 'line-1' }).click();
    await page.getByRole('button', { name: 'Roll back to the previous release' }).click();
    await page
      .getByRole('alert')
      .getByText(/no earlier release to go back to/)
      .waitFor();
    await page.getByRole('link', { name: 'Fleet' }).click();

    // A client whose device is away keeps its update in flight: a second one is refused, and
    // the message links to the job that runs.
    await page.getByRole('link', { name: 'line-away' }).click();
    await page.getByLabel('Image', { exact: true }).fill('registry.local/opc-core:2.0.0');
    await page.getByLabel('Version', { exact: true }).fill('2.0.0');
    await page.getByRole('button', { name: 'Update', exact: true }).click();
    await page.getByTestId('client-status').getByText('Updating...').waitFor();
    await page.getByRole('button', { name: 'Update', exact: true }).click();
    await page.getByRole('alert').getByText('An update is already running').waitFor();
    await page.getByRole('link', { name: 'Open the running job' }).click();
    await page.getByRole('heading', { name: /Update job/ }).waitFor();
    await page.getByRole('link', { name: 'line-away' }).waitFor();
    expect(problems).toEqual([]);
  });

  it('a configuration with an invalid field is refused in the form, nothing reaches the API; a valid one ends Applied', async () => {
    const { page, problems } = await signedIn('demo operator', '#/clients/line-1');
    const configRequests: string[] = [];
    page.on('request', (r) => {
      if (r.url().endsWith('/config')) configRequests.push(r.method());
    });
    // An operator configures but does not update.
    await page.getByRole('heading', { name: 'Change configuration' }).waitFor();
    expect(await page.getByRole('button', { name: 'Update', exact: true }).count()).toBe(0);

    const sampling = page.getByLabel('Sampling interval (ms)');
    await sampling.fill('5');
    await page.locator('#node-0-sampling-error').getByText(/10/).waitFor();
    expect(await sampling.getAttribute('aria-invalid')).toBe('true');
    const apply = page.getByRole('button', { name: /Apply configuration/ });
    expect(await apply.isDisabled()).toBe(true);
    await sampling.press('Enter'); // submitting from the keyboard sends nothing either
    await screenshot(page, 'client-config-invalid');
    expect(configRequests).toEqual([]);

    await sampling.fill('500');
    expect(await page.locator('#node-0-sampling-error').count()).toBe(0);
    await apply.click();
    await page.getByTestId('client-config').getByText('v1 applied').waitFor({ timeout: 15_000 });
    await page.locator('.job-summary').getByText('Applied', { exact: true }).waitFor();
    expect(configRequests).toEqual(['POST']);
    await screenshot(page, 'client-config-applied'); // this page was checked with axe above
    expect(problems).toEqual([]);
  });

  it('an update that fails rolls back, and the job page says why and in which phase', async () => {
    const { page, problems } = await signedIn('demo admin', '#/clients/line-1');
    await page.getByLabel('Image', { exact: true }).fill('registry.local/opc-core:6.6.6');
    await page.getByLabel('Version', { exact: true }).fill('6.6.6');
    await page.getByRole('button', { name: 'Update', exact: true }).click();
    await page.getByRole('link', { name: 'Update to 6.6.6' }).click();
    const why = page.getByTestId('job-failure');
    await why
      .getByText(/failing in phase verifying: the new container exited/)
      .waitFor({ timeout: 20_000 });
    await page
      .getByTestId('job-timeline')
      .getByText(/rolled back/)
      .waitFor();
    // What the device saw, as text: the log's markup is shown, never rendered.
    const workloadLog = page.getByTestId('evidence-workload');
    await workloadLog.getByText('<b>fatal</b>: the PLC refused the session').waitFor();
    expect(await workloadLog.locator('b').count()).toBe(0);
    await page
      .getByTestId('evidence-agent')
      .getByText(/to=rolling_back/)
      .waitFor();
    await expectAccessible(page, 'job-rolled-back');
    // The device went back to the version it ran before.
    await page.getByRole('link', { name: 'line-1' }).click();
    await page
      .getByTestId('client-version')
      .getByText(/^2\.0\.0 running/)
      .waitFor();
    await page.getByTestId('client-status').getByText('Update failed').waitFor();
    await page.getByRole('link', { name: 'Overview' }).click();
    await page.getByRole('link', { name: /line-1: update RolledBack/ }).waitFor();
    await page.getByTestId('clients-total').getByText('3').waitFor();
    await expectAccessible(page, 'overview');
    expect(problems).toEqual([]);
  });

  it('an auditor sees no action and replays the finished update to a moment in the middle', async () => {
    const { page, problems } = await signedIn('demo auditor', '#/clients/line-1');
    await page.getByRole('link', { name: 'Update to 2.0.0' }).waitFor();
    expect(await page.getByRole('button').allTextContents()).toEqual(['Sign out']);
    await page.getByRole('link', { name: 'Fleet' }).click();
    await page.getByRole('row', { name: /line-1/ }).waitFor();
    expect(await page.getByRole('button', { name: 'Register' }).count()).toBe(0);
    // Filters go to the server: by label, then by status.
    await page.getByLabel('Label (key=value)').fill('site=lab');
    await page.getByRole('row', { name: /line-away/ }).waitFor();
    await page.getByRole('row', { name: /line-1/ }).waitFor({ state: 'detached' });
    await page.getByLabel('Status').selectOption('Online');
    await page.getByText('No clients.').waitFor();

    await page.goto(`${service.httpUrl}/#/jobs/${updateJobId}`); // the hash only: still signed in
    await page.getByTestId('job-status').getByText('Succeeded').waitFor();
    const steps = Number(await page.getByLabel(/^As of/).getAttribute('max'));
    expect(steps).toBeGreaterThan(4);
    // From the keyboard: to the start, then halfway.
    const slider = page.getByLabel(/^As of/);
    await slider.focus();
    await page.keyboard.press('Home');
    for (let i = 0; i < Math.floor(steps / 2); i++) await page.keyboard.press('ArrowRight');
    await page.getByText(/^Status as of/).waitFor();
    const status = page.getByTestId('job-status');
    await status
      .getByText(/received|pulling|pulled|stopping_old|starting_new|Dispatched/)
      .waitFor();
    expect(await status.textContent()).not.toContain('Succeeded');
    expect(await page.getByTestId('job-timeline').locator('li').count()).toBe(
      Math.floor(steps / 2) + 1,
    );
    expect(await page.getByRole('button', { name: 'Cancel job' }).count()).toBe(0);
    await screenshot(page, 'job-replay'); // this page was checked with axe above
    expect(problems).toEqual([]);
  });

  it('a rollout over labels runs in waves to completion, with progress on screen', async () => {
    const { page, problems } = await signedIn('demo admin', '#/fleet');
    // Clients selected on the fleet page come along as the rollout's targets.
    await page.getByLabel('Select line-1').check();
    await page.getByRole('link', { name: 'Start a rollout on 1 selected client' }).click();
    expect(await page.getByLabel(/^Client ids/).inputValue()).toBe('line-1');
    await page.getByLabel('Targets').selectOption('labels');
    await page.getByLabel('Image', { exact: true }).fill('registry.local/opc-core:3.0.0');
    await page.getByLabel('Version', { exact: true }).fill('3.0.0');
    // As the labels are typed, the clients they match: counted once the typing pauses.
    const counts: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/api/v1/clients?') && r.url().includes('label=')) counts.push(r.url());
    });
    const typed = 'site=plant-7';
    await page.getByLabel(/^Labels/).pressSequentially(typed);
    await page
      .getByTestId('rollout-matches')
      .getByText('Matches 2 clients: line-1, line-2', { exact: true })
      .waitFor();
    expect(counts.length).toBeLessThan(typed.length);
    expect(new URL(counts[counts.length - 1]).searchParams.getAll('label')).toEqual([
      'site=plant-7',
    ]);
    await page.getByLabel('Jobs in flight at once').fill('1');
    await page.getByRole('button', { name: 'Review rollout' }).click();
    await page
      .getByRole('status')
      .getByText(/every client labelled site=plant-7 \(2 clients: line-1, line-2 at the moment\)/)
      .waitFor();
    await screenshot(page, 'rollout-confirm');
    await page.getByRole('button', { name: 'Start rollout' }).click();
    const status = page.getByTestId('rollout-status');
    await status.getByText(/1 in flight · 1 waiting/).waitFor({ timeout: 5000 });
    await status.getByText(/^Completed: 100% done · 2 succeeded/).waitFor({ timeout: 20_000 });
    await expectAccessible(page, 'rollout');
    await page.getByRole('link', { name: 'Rollouts' }).click();
    await page.getByRole('row', { name: /Completed/ }).waitFor();
    await expectAccessible(page, 'rollouts');
    expect(problems).toEqual([]);
  });

  it('a rollout in phases waits for an approval on its page; a pause and a resume through the API show live; the admin approves it, an auditor cannot', async () => {
    const { rolloutId } = (await api('POST', '/rollouts', {
      clientIds: ['line-1', 'line-2'],
      image: 'registry.local/opc-core:4.0.0',
      targetVersion: '4.0.0',
      phases: [{ count: 1 }, { requiresApproval: true }],
    })) as { rolloutId: string };
    const auditor = await signedIn('demo auditor', `#/rollouts/${rolloutId}`);
    const auditorStatus = auditor.page.getByTestId('rollout-status');
    await auditorStatus.getByText(/^AwaitingApproval: 50% done/).waitFor({ timeout: 20_000 });
    expect(await auditor.page.getByRole('button', { name: 'Approve next phase' }).count()).toBe(0);

    const { page, problems } = await signedIn('demo admin', `#/rollouts/${rolloutId}`);
    const phases = page.getByRole('list', { name: 'Phases of the rollout' });
    await phases.getByText(/Phase 1: 1 client\(s\).*completed/).waitFor();
    await phases
      .getByText(/Phase 2: 1 client\(s\), 10 at a time, needs approval · waiting/)
      .waitFor();
    await expectAccessible(page, 'rollout-phases');

    // Paused and resumed through the API, not on the page, while no job runs: no job changes,
    // so only the rollout stream can bring the new status to the pages.
    const list = await signedIn('demo operator', '#/rollouts');
    const listRow = list.page.getByRole('row', { name: new RegExp(rolloutId.slice(0, 8)) });
    await listRow.getByText('AwaitingApproval', { exact: true }).waitFor();
    await api('POST', `/rollouts/${rolloutId}/pause`, {});
    await page
      .getByTestId('rollout-status')
      .getByText(/^Paused: 50% done/)
      .waitFor();
    await listRow.getByText('Paused', { exact: true }).waitFor();
    await api('POST', `/rollouts/${rolloutId}/resume`, {});
    await page
      .getByTestId('rollout-status')
      .getByText(/^AwaitingApproval: 50% done/)
      .waitFor();
    await listRow.getByText('AwaitingApproval', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Approve next phase' }).click();
    await page
      .getByTestId('rollout-status')
      .getByText(/^Completed: 100% done · 2 succeeded/)
      .waitFor({ timeout: 20_000 });
    // The auditor's page follows live, without a reload.
    await auditorStatus.getByText(/^Completed/).waitFor({ timeout: 20_000 });
    await listRow.getByText('Completed', { exact: true }).waitFor({ timeout: 20_000 });
    expect(problems).toEqual([]);
    expect(auditor.problems).toEqual([]);
    expect(list.problems).toEqual([]);
  });

  it('a fleet of 300 clients scrolls as one table: only the rows in view are rendered, pages load as the view nears the end', async () => {
    const { token } = (await (
      await fetch(`${service.httpUrl}/api/v1/dev/sign-in`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ role: 'admin', tenant: 'big' }),
      })
    ).json()) as { token: string };
    const ids = Array.from({ length: 300 }, (_, i) => `big-${String(i).padStart(5, '0')}`);
    for (let i = 0; i < ids.length; i += 50) {
      await Promise.all(
        ids.slice(i, i + 50).map(async (clientId) => {
          const response = await fetch(`${service.httpUrl}/api/v1/clients`, {
            method: 'POST',
            headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
            body: JSON.stringify({ clientId, labels: { site: 'big' } }),
          });
          expect(response.status).toBe(201);
        }),
      );
    }
    const { page, problems } = await signedIn('admin of big', '#/fleet', 'big');
    const count = page.getByTestId('fleet-count');
    await count.getByText('50 clients loaded; more as you scroll').waitFor();
    const box = page.getByRole('region', { name: 'Clients' });
    const renderedRows = () => box.locator('tbody tr:not(.spacer)').count();
    expect(await renderedRows()).toBeLessThan(60);
    // To the end of what is loaded, twice: each time the next page comes.
    await box.evaluate((element) => (element.scrollTop = element.scrollHeight));
    await count.getByText('250 clients loaded; more as you scroll').waitFor();
    await box.evaluate((element) => (element.scrollTop = element.scrollHeight));
    await count.getByText('300 clients', { exact: true }).waitFor();
    await box.evaluate((element) => (element.scrollTop = element.scrollHeight));
    await page.getByRole('link', { name: 'big-00299' }).waitFor();
    expect(await page.getByRole('link', { name: 'big-00000' }).count()).toBe(0);
    expect(await renderedRows()).toBeLessThan(60);
    expect(await page.getByRole('table', { name: 'Clients' }).getAttribute('aria-rowcount')).toBe(
      '301',
    );
    // Back to the top: the first rows again, the last gone from the DOM.
    await box.evaluate((element) => (element.scrollTop = 0));
    await page.getByRole('link', { name: 'big-00000' }).waitFor();
    expect(await page.getByRole('link', { name: 'big-00299' }).count()).toBe(0);
    await screenshot(page, 'fleet-many'); // this page was checked with axe above
    expect(problems).toEqual([]);
  });

  it('a lost connection shows a banner, and it goes once the stream is back', async () => {
    const context = await browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    // The change stream cannot be reached: the page says so (and polls meanwhile).
    const unreachable = '**/api/v1/jobs/changes**';
    await page.route(unreachable, (route) => route.abort('connectionrefused'));
    await page.goto(`${service.httpUrl}/#/clients/line-2`);
    await page.getByRole('button', { name: 'demo auditor' }).click();
    const banner = page.getByRole('alert').getByText(/Connection to the service lost/);
    await banner.waitFor();
    await page
      .getByTestId('client-version')
      .getByText(/running/)
      .waitFor();
    await screenshot(page, 'connection-lost');
    await page.unroute(unreachable);
    await banner.waitFor({ state: 'detached', timeout: 15_000 });
  });

  it('tenant B sees nothing of tenant A', async () => {
    const { page, problems } = await signedIn('admin of tenant-b', '', 'tenant-b');
    await page.getByTestId('clients-total').getByText('0').waitFor();
    await page.getByRole('link', { name: 'Fleet' }).click();
    await page.getByText('No clients.').waitFor();
    await page.goto(`${service.httpUrl}/#/clients/line-1`); // the hash only: still signed in
    // The page settles on one notice for the client itself; the device panel's and the jobs'
    // own 404s may show a moment before it, each in its section.
    await page
      .locator('main > [role="alert"]')
      .getByText(/Not found/)
      .waitFor();
    expect(await page.getByRole('region', { name: 'Device' }).count()).toBe(0);
    await page.goto(`${service.httpUrl}/#/jobs/${updateJobId}`);
    await page
      .getByRole('alert')
      .getByText(/Not found/)
      .waitFor();
    await page.getByRole('link', { name: 'Rollouts' }).click();
    await page.getByText('No rollouts yet.').waitFor();
    await screenshot(page, 'rollouts-other-tenant'); // this page was checked with axe above
    expect(await page.content()).not.toContain('line-1');
    expect(problems).toEqual([]);
  });

  it('an admin registers a release, updates a client by it, withdraws it and the next update by it is refused; an auditor sees the catalogue without buttons', async () => {
    const digest = `sha256:${'5e'.repeat(32)}`;
    const { page, problems } = await signedIn('demo admin', '#/releases');
    const releaseRequests: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().endsWith('/api/v1/releases'))
        releaseRequests.push(r.url());
    });
    // Checked in the form: a "v" before the version, a digest short of its 64 hex digits.
    const form = page.getByRole('region', { name: 'Register a release' });
    await form.getByLabel('Product').fill('opc-core');
    await form.getByLabel('Version').fill('v5.0.0');
    await form.getByLabel('Image', { exact: true }).fill('registry.local/opc-core:5.0.0');
    await form.getByLabel('Digest').fill('sha256:5e5e');
    await page
      .locator('#release-version-error')
      .getByText('a semantic version has no "v": 5.0.0')
      .waitFor();
    await page
      .locator('#release-imageDigest-error')
      .getByText('after "sha256:" come exactly 64 hex digits; this has 4')
      .waitFor();
    await form.getByRole('button', { name: 'Register release' }).click();
    await screenshot(page, 'release-form-invalid');
    expect(releaseRequests).toEqual([]);
    await form.getByLabel('Version').fill('5.0.0');
    await form.getByLabel('Digest').fill(digest);
    await form.getByLabel(/^Notes/).fill('<b>faster</b> reconnects');
    await form.getByLabel(/^Constraints/).fill('site=plant-7');
    await form.getByRole('button', { name: 'Register release' }).click();
    await form.getByRole('status').getByText('Registered opc-core 5.0.0').waitFor();
    const row = page.getByRole('row', { name: /opc-core 5\.0\.0/ });
    await row.getByText('registry.local/opc-core:5.0.0@sha256:5e5e5e5e5e5e…').waitFor();
    expect(await row.locator('code').getAttribute('title')).toBe(
      `registry.local/opc-core:5.0.0@${digest}`,
    );
    // The same version with another digest: versions never change.
    await form.getByLabel('Product').fill('opc-core');
    await form.getByLabel('Version').fill('5.0.0');
    await form.getByLabel('Image', { exact: true }).fill('registry.local/opc-core:5.0.0');
    await form.getByLabel('Digest').fill(`sha256:${'6f'.repeat(32)}`);
    await form.getByRole('button', { name: 'Register release' }).click();
    await form
      .getByRole('alert')
      .getByText(
        /registered already with a different digest, notes and constraints\. A registered version never changes/,
      )
      .waitFor();
    await expectAccessible(page, 'releases');

    // Its page: the notes as text, never as markup; its constraints.
    await row.getByRole('link', { name: '5.0.0' }).click();
    await page.getByRole('heading', { name: 'Release opc-core 5.0.0' }).waitFor();
    const releaseId = new URL(page.url()).hash.split('/').pop()!;
    const notes = page.getByTestId('release-notes');
    await notes.getByText('<b>faster</b> reconnects').waitFor();
    expect(await notes.locator('b').count()).toBe(0);
    await page.getByTestId('release-constraints').getByText('site=plant-7').waitFor();

    // An update by the release from the client page: the job runs to the release's version.
    await page.goto(`${service.httpUrl}/#/clients/line-2`); // the hash only: still signed in
    await page
      .getByLabel('Release', { exact: true })
      .selectOption({ label: 'opc-core 5.0.0 (needs site=plant-7)' });
    await page.getByRole('button', { name: 'Update to release' }).click();
    await page
      .getByTestId('client-version')
      .getByText('5.0.0 running', { exact: true })
      .waitFor({ timeout: 20_000 });
    await page.getByRole('link', { name: 'Update to 5.0.0' }).click();
    await page.getByRole('heading', { name: /Update job/ }).waitFor();
    await page.getByTestId('job-status').getByText('Succeeded').waitFor();
    // Refusals in words: a release for clients labelled line=B, one below what line-2 runs.
    for (const [version, constraints] of [
      ['6.0.0', { line: 'B' }],
      ['4.9.0', {}],
    ] as const) {
      await api('POST', '/releases', {
        product: 'opc-core',
        version,
        image: `registry.local/opc-core:${version}`,
        imageDigest: digest,
        constraints,
      });
    }
    await page.goto(`${service.httpUrl}/#/clients/line-2`);
    const choose = (label: string) =>
      page.getByLabel('Release', { exact: true }).selectOption({ label });
    await choose('opc-core 6.0.0 (needs line=B)');
    await page.getByRole('button', { name: 'Update to release' }).click();
    await page
      .getByRole('alert')
      .getByText('This client lacks the labels the release requires: line=B.')
      .waitFor();
    await choose('opc-core 4.9.0');
    await page.getByRole('button', { name: 'Update to release' }).click();
    await page
      .getByRole('alert')
      .getByText(/^Downgrade refused: the client reports version 5\.0\.0, above this release/)
      .waitFor();
    await expectAccessible(page, 'client-release-refused');

    // A rollout of the release, chosen in the rollout form instead of an image and a version.
    await page.getByRole('link', { name: 'Rollouts' }).click();
    await page.getByLabel('Update to').selectOption('release');
    await page
      .getByLabel('Release', { exact: true })
      .selectOption({ label: 'opc-core 5.0.0 (needs site=plant-7)' });
    await page.getByLabel('Targets').selectOption('clients');
    await page.getByLabel(/^Client ids/).fill('line-1');
    await page.getByRole('button', { name: 'Review rollout' }).click();
    await page
      .getByRole('status')
      .getByText(/1 client\(s\) to release opc-core 5\.0\.0 \(needs site=plant-7\), 10 at a time/)
      .waitFor();
    await page.getByRole('button', { name: 'Start rollout' }).click();
    await page
      .getByTestId('rollout-status')
      .getByText(/^Completed: 100% done · 1 succeeded/)
      .waitFor({ timeout: 20_000 });
    await page.getByRole('link', { name: 'The release it installs' }).click();
    await page.getByRole('heading', { name: 'Release opc-core 5.0.0' }).waitFor();
    const releaseClients = page.getByRole('table', { name: 'Clients of the release' });
    for (const clientId of ['line-1', 'line-2']) {
      await releaseClients
        .getByRole('row', { name: new RegExp(clientId) })
        .getByText('runs it', { exact: true })
        .waitFor();
    }
    await expectAccessible(page, 'release');

    // Another admin chose the release on a client page before it was withdrawn.
    const other = await signedIn('demo admin', '#/clients/line-2');
    await other.page
      .getByLabel('Release', { exact: true })
      .selectOption({ label: 'opc-core 5.0.0 (needs site=plant-7)' });
    await page.getByRole('button', { name: 'Withdraw opc-core 5.0.0' }).click();
    await page.getByLabel('Why withdraw opc-core 5.0.0?').fill('memory leak under load');
    await page.getByRole('button', { name: 'Withdraw release' }).click();
    await page
      .getByTestId('release-withdrawn')
      .getByText(/memory leak under load/)
      .waitFor();
    await other.page.getByRole('button', { name: 'Update to release' }).click();
    await other.page
      .getByRole('alert')
      .getByText(
        'This release was withdrawn (memory leak under load): no new update may install it.',
      )
      .waitFor();
    // A client page opened now no longer offers it.
    await page.goto(`${service.httpUrl}/#/clients/line-2`);
    await page
      .getByLabel('Release', { exact: true })
      .locator('option', { hasText: 'opc-core 4.9.0' })
      .waitFor({ state: 'attached' });
    expect(
      await page
        .getByLabel('Release', { exact: true })
        .locator('option', { hasText: '5.0.0' })
        .count(),
    ).toBe(0);

    // An auditor reads the catalogue and the release, with no button but Sign out.
    const auditor = await signedIn('demo auditor', '#/releases');
    const withdrawnRow = auditor.page.getByRole('row', { name: /opc-core 5\.0\.0/ });
    await withdrawnRow.getByText(/memory leak under load/).waitFor();
    expect(await auditor.page.getByRole('button').allTextContents()).toEqual(['Sign out']);
    expect(await auditor.page.getByRole('heading', { name: 'Register a release' }).count()).toBe(0);
    await auditor.page.getByLabel('Withdrawn').selectOption('true');
    await auditor.page
      .getByRole('row', { name: /opc-core 6\.0\.0/ })
      .waitFor({ state: 'detached' });
    await withdrawnRow.waitFor();
    await auditor.page.getByLabel('Withdrawn').selectOption('false');
    await auditor.page.getByRole('row', { name: /opc-core 6\.0\.0/ }).waitFor();
    expect(await withdrawnRow.count()).toBe(0);
    await auditor.page.goto(`${service.httpUrl}/#/releases/${releaseId}`);
    await auditor.page.getByRole('link', { name: 'line-2' }).waitFor();
    expect(await auditor.page.getByRole('button').allTextContents()).toEqual(['Sign out']);
    expect(problems).toEqual([]);
    expect(other.problems).toEqual([]);
    expect(auditor.problems).toEqual([]);
  });
});
