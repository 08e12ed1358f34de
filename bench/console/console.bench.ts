/**
 * npm run bench:console: what the console costs and how fast it shows the fleet.
 *
 * Real: the built console (dist/console) served by the device-management service (as
 * `npm start` runs it, embedded aedes and development key) on PostgreSQL (a fresh database),
 * Debian's Chromium driven by playwright-core. SIMULATED: the device, an mqtt.js client that
 * publishes status reports of one update job on the real topics.
 *
 * Prints: the initial JavaScript and CSS (gzip); the time from navigation to a usable fleet
 * page (first page of rows on screen) with BENCH_CLIENTS clients; the time from a device's
 * report (its PUBLISH) to the change on the job page, over BENCH_REPORTS reports; scrolling the
 * fleet table: loading every page by scrolling to the end of what is loaded, then the time from
 * setting the scroll position to the next frame painted with the rows of that position, over
 * BENCH_SCROLL_STEPS positions spread over the whole fleet, and the rows in the DOM meanwhile.
 *
 * env: BENCH_CLIENTS (10000), BENCH_REPORTS (50), BENCH_RUNS (5), BENCH_SCROLL_STEPS (100),
 * TEST_DATABASE_URL
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { STATUS_REPORT_SCHEMA, statusTopic } from '@opcfleet/contracts';
import { createTestDatabase } from '@opcfleet/event-store/testing/test-database';
import mqtt from 'mqtt';
import pino from 'pino';
import { findConsoleDir } from '../../services/device-management/src/console-assets/serve-console';
import { startService } from '../../services/device-management/src/start-service';
import { launchChromium } from '../../services/console/test/browser';
import { forEachLimit, Latencies } from '../fleet/measurements';

const settings = {
  clients: positiveInt('BENCH_CLIENTS', 10_000),
  reports: positiveInt('BENCH_REPORTS', 50),
  runs: positiveInt('BENCH_RUNS', 5),
  scrollSteps: positiveInt('BENCH_SCROLL_STEPS', 100),
};

function positiveInt(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name}: must be a positive integer`);
  return value;
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} kB`;

/** The files index.html loads at once, and their gzip sizes. */
function initialAssets(): { js: number; css: number; files: string[] } {
  const dir = findConsoleDir();
  if (!dir) throw new Error('no console build: run npm run build first');
  const html = readFileSync(join(dir, 'index.html'), 'utf8');
  const files = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+)"/g)].map((m) => m[1]);
  const gzipped = (file: string) => gzipSync(readFileSync(join(dir, file))).byteLength;
  return {
    files,
    js: files.filter((f) => f.endsWith('.js')).reduce((sum, f) => sum + gzipped(f), 0),
    css: files.filter((f) => f.endsWith('.css')).reduce((sum, f) => sum + gzipped(f), 0),
  };
}

async function main(): Promise<void> {
  const assets = initialAssets();
  console.log(
    `initial JS ${kb(assets.js)} gzip, CSS ${kb(assets.css)} gzip (${assets.files.join(', ')})`,
  );

  const database = await createTestDatabase(undefined, 'console_bench');
  const dataDir = await mkdtemp(join(tmpdir(), 'console-bench-'));
  const service = await startService(
    {
      DATABASE_URL: database.url,
      DATA_DIR: dataDir,
      EMBEDDED_MQTT_PORT: '0',
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: '0',
      LOG_LEVEL: 'warn',
    },
    pino({ level: 'warn' }),
  );
  const browser = await launchChromium();
  try {
    const api = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${service.httpUrl}/api/v1${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${service.token}`,
          ...(body !== undefined && { 'Content-Type': 'application/json' }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status}`);
      return (await response.json()) as Record<string, unknown>;
    };

    const seeding = performance.now();
    const ids = Array.from(
      { length: settings.clients },
      (_, i) => `line-${String(i).padStart(5, '0')}`,
    );
    await forEachLimit(ids, 32, async (clientId, i) => {
      await api('POST', '/clients', {
        clientId,
        labels: { site: `plant-${i % 20}` },
        version: '1.0.0',
      });
    });
    console.log(
      `registered ${settings.clients} clients in ${((performance.now() - seeding) / 1000).toFixed(1)} s`,
    );

    // Navigation to a usable fleet page: load, development sign-in, first page of rows shown.
    const fleet = new Latencies();
    const afterSignIn = new Latencies();
    const loaded = new Latencies();
    const offered = new Latencies();
    for (let run = 0; run < settings.runs; run++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      const started = performance.now();
      await page.goto(`${service.httpUrl}/#/fleet`);
      loaded.add(performance.now() - started);
      const button = page.getByRole('button', { name: 'demo admin' });
      await button.waitFor();
      offered.add(performance.now() - started);
      await button.click();
      const signedIn = performance.now();
      await page.getByRole('link', { name: ids[0], exact: true }).waitFor();
      fleet.add(performance.now() - started);
      afterSignIn.add(performance.now() - signedIn);
      await context.close();
    }
    console.log(
      `  of which: page loaded ${loaded.summary()}; sign-in buttons shown ${offered.summary()}`,
    );
    console.log(
      `fleet page usable with ${settings.clients} clients, from navigation (load, sign-in click, first page of rows): ${fleet.summary()}; from the sign-in click: ${afterSignIn.summary()}`,
    );

    // Scrolling: every page loaded by scrolling to the end, then jumps across the whole fleet.
    {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      await page.goto(`${service.httpUrl}/#/fleet`);
      await page.getByRole('button', { name: 'demo admin' }).click();
      const box = page.getByRole('region', { name: 'Clients' });
      await page.getByRole('link', { name: ids[0], exact: true }).waitFor();
      const count = page.getByTestId('fleet-count');
      const loadingAll = performance.now();
      while ((await count.textContent()) !== `${settings.clients} clients`) {
        const before = await count.textContent();
        await box.evaluate((element) => (element.scrollTop = element.scrollHeight));
        await page.waitForFunction(
          (text) =>
            (globalThis as any).document.querySelector('[data-testid="fleet-count"]')
              ?.textContent !== text,
          before,
          { polling: 'raf' },
        );
      }
      const loadedAllMs = performance.now() - loadingAll;
      const toFrame = new Latencies();
      let mostRows = 0;
      for (let step = 0; step < settings.scrollSteps; step++) {
        // Positions spread over the fleet, out of order (a scrollbar dragged back and forth).
        const index = Math.floor(
          (((step * 37) % settings.scrollSteps) / settings.scrollSteps) * (settings.clients - 1),
        );
        const elapsed = await box.evaluate(
          (element, { clientId, top }) => {
            const { document, requestAnimationFrame } = globalThis as any;
            const started = performance.now();
            element.scrollTop = top;
            return new Promise<number>((resolve) => {
              const check = () => {
                if (document.querySelector(`a[href="#/clients/${clientId}"]`)) {
                  resolve(performance.now() - started);
                } else requestAnimationFrame(check);
              };
              requestAnimationFrame(check);
            });
          },
          // 36 px rows (ROW_HEIGHT of the fleet page): this client's row at the top.
          { clientId: ids[index], top: index * 36 },
        );
        toFrame.add(elapsed);
        mostRows = Math.max(mostRows, await box.locator('tbody tr:not(.spacer)').count());
      }
      console.log(
        `fleet table with ${settings.clients} clients: every page loaded by scrolling in ${(loadedAllMs / 1000).toFixed(1)} s; a scroll position to the frame showing its rows: ${toFrame.summary()}; at most ${mostRows} rows in the DOM`,
      );
      await context.close();
    }

    // Report to screen: a device's PUBLISH to the job page showing it.
    const clientId = ids[0];
    const credential = await api('POST', `/clients/${clientId}/credentials`);
    const device = await mqtt.connectAsync(service.infrastructure.mqttUrl, {
      username: credential.username as string,
      password: credential.password as string,
      clientId: `bench-${randomUUID().slice(0, 8)}`,
      protocolVersion: 4,
    });
    const { jobId } = (await api('POST', `/clients/${clientId}/update`, {
      targetVersion: '2.0.0',
      image: 'registry.local/opc-core:2.0.0',
    })) as { jobId: string };
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${service.httpUrl}/#/jobs/${jobId}`);
    await page.getByRole('button', { name: 'demo admin' }).click();
    const status = page.getByTestId('job-status');
    await status.waitFor();
    const address = { tenantId: 'demo', clientId };
    const report = (seq: number, phase: string, percent?: number) =>
      JSON.stringify({
        schema: STATUS_REPORT_SCHEMA,
        messageId: randomUUID(),
        ...address,
        correlationId: jobId,
        jobId,
        seq,
        at: new Date().toISOString(),
        version: '1.0.0',
        jobKind: 'update',
        phase,
        ...(percent !== undefined && {
          progress: { bytes: percent * 1000, totalBytes: 100_000, percent },
        }),
      });
    await device.publishAsync(statusTopic(address), report(1, 'received'), { qos: 1 });
    await status.getByText('received').waitFor();
    const toScreen = new Latencies();
    for (let i = 1; i <= settings.reports; i++) {
      const percent = Math.min(99, i);
      const published = performance.now();
      await device.publishAsync(statusTopic(address), report(i + 1, 'pulling', percent), {
        qos: 1,
      });
      await page.waitForFunction(
        (text) =>
          (globalThis as any).document.querySelector('[data-testid="job-status"]')?.textContent ===
          text,
        `pulling · ${percent}%`,
        { polling: 'raf' },
      );
      toScreen.add(performance.now() - published);
    }
    console.log(`device report to screen (PUBLISH -> job page): ${toScreen.summary()}`);
    await device.endAsync();
    await context.close();
  } finally {
    await browser.close();
    await service.stop();
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
