import { readFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext } from 'playwright-core';
import { SimulatedDevice } from '../../../test/e2e/harness/simulated-device';
import { verifySignature } from '../../device-management/src/alerts/webhook-signature';
import type { RunningService } from '../../device-management/src/start-service';
import {
  startNpmStartService,
  type NpmStartService,
} from '../../device-management/test/support/npm-start-service';
import { eventually } from '../../device-management/test/support/memory-logger';
import { isoToLocalDateTime } from '../src/forms/audit-query';
import { expectAccessible, launchChromium, signInWithButton } from './browser';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * The alerts and audit pages in a real headless Chromium against the service as `npm start`
 * runs it (with http receivers on the loopback allowed: ALERT_WEBHOOK_ALLOW_INSECURE), a
 * webhook receiver started here on 127.0.0.1, and a simulated device whose update to 6.6.6
 * fails its check and rolls back.
 */
describe('console alerts and audit (Chromium, service, PostgreSQL, webhook receiver)', () => {
  let started: NpmStartService;
  let service: RunningService;
  let device: SimulatedDevice;
  let browser: Browser;
  let receiver: Server;
  let receiverUrl: string;
  const received: Received[] = [];
  const contexts: BrowserContext[] = [];
  /** The failed update of the first story, which the auditor finds in the trail. */
  let failedJobId: string;

  const api = (method: string, path: string, body?: unknown) => started.api(method, path, body);

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    [started, browser] = await Promise.all([
      startNpmStartService('console_alerts_e2e', {
        ALERT_WEBHOOK_ALLOW_INSECURE: 'true',
        ALERT_SENDER_POLL_SECONDS: '0.2',
      }),
      launchChromium(),
    ]);
    service = started.service;
    await api('POST', '/clients', {
      clientId: 'line-1',
      labels: { site: 'plant-7' },
      version: '1.0.0',
    });
    const credential = await api('POST', '/clients/line-1/credentials');
    device = new SimulatedDevice({
      url: service.infrastructure.mqttUrl,
      protocolVersion: 4,
      address: { tenantId: 'demo', clientId: 'line-1' },
      phaseDelayMs: 60,
      credentials: {
        username: credential.username as string,
        password: credential.password as string,
      },
      failingVersions: ['6.6.6'],
    });
    await device.connect();
  });

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await device?.close();
    await started?.stop();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  /** A fresh browser context (nothing kept: tokens live in memory), signed in by a button. */
  const signedIn = (button: string, hash = '') =>
    signInWithButton(browser, contexts, `${service.httpUrl}/${hash}`, button);

  it('an admin subscribes a webhook, sees its secret once, and the delivery of a failed update shows as succeeded', async () => {
    const { page, problems } = await signedIn('demo admin');
    await page.getByRole('link', { name: 'Alerts' }).click();
    await page.getByText('No subscriptions yet.').waitFor();
    await page.getByLabel('Receiver URL (https)').fill(receiverUrl);
    // job.failed is ticked already; a rolled-back update is its own kind.
    expect(await page.getByLabel(/^job\.failed/).isChecked()).toBe(true);
    await page.getByLabel(/^job\.rolled_back/).check();
    await page.getByRole('button', { name: 'Subscribe', exact: true }).click();

    // The secret, once, and said to be so.
    const secretBox = page.getByRole('status').filter({ hasText: 'Subscribed' });
    await secretBox.getByText('Copy the signing secret now: it is not shown again.').waitFor();
    const secret = (await page.getByTestId('subscription-secret').textContent())!;
    expect(secret).toMatch(/^whsec_/);
    const row = page
      .getByRole('table', { name: 'Webhook subscriptions' })
      .getByRole('row')
      .filter({ hasText: receiverUrl });
    await row.getByText('job.failed, job.rolled_back').waitFor();
    await expectAccessible(page, 'alerts-secret');
    await page.getByRole('button', { name: 'I have kept it' }).click();
    await page.getByTestId('subscription-secret').waitFor({ state: 'detached' });
    // Away and back: listed, the secret nowhere.
    await page.getByRole('link', { name: 'Overview' }).click();
    await page.getByRole('link', { name: 'Alerts' }).click();
    await row.waitFor();
    expect(await page.content()).not.toContain(secret);

    // An update that fails its check and rolls back.
    failedJobId = (
      await api('POST', '/clients/line-1/update', {
        image: 'registry.local/opc-core:6.6.6',
        targetVersion: '6.6.6',
      })
    ).jobId as string;
    // The receiver gets it, signed with the secret the page showed.
    const deadline = Date.now() + 30_000;
    while (!received.some((r) => r.body.includes(failedJobId)) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const delivery = received.find((r) => r.body.includes(failedJobId));
    expect(delivery).toBeDefined();
    expect(
      verifySignature(
        secret,
        delivery!.body,
        String(delivery!.headers['opcfleet-signature']),
        Date.now() / 1000,
      ),
    ).toBe(true);
    const kind = (JSON.parse(delivery!.body) as { kind: string }).kind;
    expect(['job.failed', 'job.rolled_back']).toContain(kind);

    // The log shows it succeeded (the page is not live: Refresh until the receiver's answer
    // is recorded, a moment after the receiver had it).
    const log = page.getByRole('table', { name: 'Alert deliveries' });
    const succeeded = log
      .getByRole('row')
      .filter({ hasText: kind })
      .filter({ has: page.getByTestId('delivery-status').getByText('succeeded', { exact: true }) })
      .filter({ hasText: 'HTTP 200' });
    for (let i = 0; i < 40 && (await succeeded.count()) === 0; i++) {
      await page.getByRole('button', { name: 'Refresh' }).click();
      await page.waitForTimeout(250);
    }
    await succeeded.first().waitFor();
    // Filtered on the server: by status, and by subscription.
    const status = page.getByLabel('Status', { exact: true });
    await status.selectOption('failed');
    await page.getByText('No deliveries.').waitFor();
    await status.selectOption('succeeded');
    await succeeded.first().waitFor();
    await page.getByLabel('Subscription', { exact: true }).selectOption({ label: receiverUrl });
    await succeeded.first().waitFor();
    await expectAccessible(page, 'alerts-log');

    // Deleted after a confirmation; its log stays.
    await page.getByRole('button', { name: `Delete the subscription of ${receiverUrl}` }).click();
    await page
      .getByRole('status')
      .getByText(/Delete the subscription of/)
      .waitFor();
    await page.getByRole('button', { name: 'Delete subscription' }).click();
    await page.getByText('No subscriptions yet.').waitFor();
    await status.selectOption('');
    await succeeded.first().waitFor();
    expect(problems).toEqual([]);
  });

  it('an auditor sees the delivery log without the subscriptions, and finds the update in the audit trail by client', async () => {
    const { page, problems } = await signedIn('demo auditor', '#/alerts');
    await page.getByRole('heading', { name: 'Delivery log' }).waitFor();
    await page
      .getByRole('table', { name: 'Alert deliveries' })
      .getByText('succeeded')
      .first()
      .waitFor();
    expect(await page.getByRole('heading', { name: 'Subscribe a webhook' }).count()).toBe(0);
    expect(await page.getByRole('heading', { name: 'Webhook subscriptions' }).count()).toBe(0);
    expect(await page.getByRole('button').allTextContents()).toEqual(['Sign out', 'Refresh']);

    // The trail shows only transactions older than every one still open in the database
    // (other suites write too): the search below runs once the rollback is in it.
    await eventually(async () => {
      const trail = await api('GET', '/audit/events?clientId=line-1&type=UpdateRolledBack');
      return (trail.items as unknown[]).length > 0;
    }, 30_000);
    await page.getByRole('link', { name: 'Audit' }).click();
    await page.getByRole('heading', { name: 'Audit trail' }).waitFor();
    await page.getByLabel('Client id').fill('line-1');
    await page.getByLabel('Order').selectOption('oldest');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/#\/audit\?clientId=line-1&order=oldest$/);
    const events = page.getByRole('table', { name: 'Audit events' });
    await events.getByRole('cell', { name: 'UpdateRolledBack', exact: true }).waitFor();
    const types = await events.locator('tbody tr td:nth-child(2)').allTextContents();
    expect(types[0]).toBe('ClientRegistered');
    expect(types).toEqual(expect.arrayContaining(['UpdateRequested', 'UpdateRolledBack']));
    // The data as text; the subject links to the job.
    await events.locator('pre').getByText('"targetVersion": "6.6.6"').first().waitFor();
    const jobLink = events.getByRole('link', { name: `update job ${failedJobId.slice(0, 8)}` });
    expect(await jobLink.first().getAttribute('href')).toBe(`#/jobs/${failedJobId}`);
    await expectAccessible(page, 'audit');

    // The export of the same search: every event on screen, as NDJSON.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export NDJSON' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^audit-.*\.ndjson$/);
    const lines = (await readFile((await download.path())!, 'utf8')).trim().split('\n');
    const exported = lines.map((line) => JSON.parse(line) as { type: string });
    expect(exported.map((event) => event.type)).toEqual(types);

    // A time range from a minute ahead: nothing yet (the local time the form takes, as ISO).
    await page
      .getByLabel(/^From/)
      .fill(isoToLocalDateTime(new Date(Date.now() + 60_000).toISOString())!.slice(0, 16));
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText('No events.').waitFor();
    expect(new URL(page.url()).hash).toContain('from=');

    await page.goBack();
    await events
      .getByRole('link', { name: `update job ${failedJobId.slice(0, 8)}` })
      .first()
      .click();
    await page.getByRole('heading', { name: /Update job/ }).waitFor();
    expect(problems).toEqual([]);
  });
});
