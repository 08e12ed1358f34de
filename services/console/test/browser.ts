import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import axe from 'axe-core';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium (infra/scripts/chromium.sh): no browser download. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const SCREENSHOT_DIR = join(__dirname, '..', '..', '..', '.tmp', 'console-screenshots');

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export interface Violation {
  id: string;
  impact: string;
  help: string;
  nodes: string[];
}

/**
 * axe-core's serious and critical violations on the page as it is now. The script goes in
 * through the DevTools protocol (not a <script> tag), which the page's CSP does not govern.
 */
export async function seriousA11yViolations(page: Page): Promise<Violation[]> {
  // Once per document: the console navigates by hash, so the script stays loaded.
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.evaluate(axe.source);
  const results = await page.evaluate(async () => {
    // In the page: the axe the script above defined (this file is also type-checked without DOM).
    const inPage = (globalThis as unknown as { axe: typeof axe }).axe;
    const { violations } = await inPage.run({
      resultTypes: ['violations'],
      // The WCAG 2.1 A and AA rules: where serious and critical violations come from.
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return violations.map((v) => ({
      id: v.id,
      impact: v.impact ?? 'unknown',
      help: v.help,
      nodes: v.nodes.map((n) => n.target.join(' ')),
    }));
  });
  return results.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

/** Everything the page complained about: CSP refusals, uncaught errors. */
export function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(message.text())) {
      problems.push(message.text());
    }
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  return problems;
}

/**
 * A new browser context on the console at `url`, signed in with the development sign-in's
 * `button` (in `tenant`, when given); the context joins `contexts`, for the suite to close.
 */
export async function signInWithButton(
  browser: Browser,
  contexts: BrowserContext[],
  url: string,
  button: string,
  tenant?: string,
): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  contexts.push(context);
  const page = await context.newPage();
  const problems = watchProblems(page);
  await page.goto(url);
  if (tenant) await page.getByLabel('Tenant').fill(tenant);
  await page.getByRole('button', { name: button }).click();
  await page.getByTestId('who').waitFor();
  return { page, problems };
}

/** A screenshot, and axe on the page: once per kind of page (axe takes 1-3 s under load). */
export async function expectAccessible(page: Page, name: string): Promise<void> {
  await screenshot(page, name);
  expect(await seriousA11yViolations(page)).toEqual([]);
}
