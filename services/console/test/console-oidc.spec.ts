import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Browser, BrowserContext, Response } from 'playwright-core';
import type { RunningService } from '../../device-management/src/start-service';
import {
  startNpmStartService,
  type NpmStartService,
} from '../../device-management/test/support/npm-start-service';
import { launchChromium, screenshot, seriousA11yViolations, watchProblems } from './browser';

/** Access tokens this short make the console refresh within the story. */
const ACCESS_TOKEN_TTL_SECONDS = 15;

/**
 * OpenID Connect sign-in in a real headless Chromium: the service (JWT_JWKS_URL, issuer and
 * audience checks, OIDC_* settings) trusts a real OpenID provider (node-oidc-provider, its own
 * process: identity-provider.mjs) where the console signs in with Authorization Code and PKCE.
 */
describe('console sign-in at an OpenID provider (Chromium, oidc-provider, service, PostgreSQL)', () => {
  let started: NpmStartService;
  let provider: ChildProcessWithoutNullStreams;
  let idp: { issuer: string; jwksUrl: string; clientId: string; resource: string };
  let service: RunningService;
  let browser: Browser;
  let context: BrowserContext;

  beforeAll(async () => {
    provider = spawn(process.execPath, [join(__dirname, 'identity-provider.mjs')], {
      env: {
        ...process.env,
        ACCESS_TOKEN_TTL_SECONDS: String(ACCESS_TOKEN_TTL_SECONDS),
        ACCOUNTS: JSON.stringify({
          ada: { name: 'Ada', tenant: 'plant-a', roles: ['admin'] },
        }),
      },
    });
    const stderr: string[] = [];
    provider.stderr.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
    const lines = createInterface({ input: provider.stdout })[Symbol.asyncIterator]();
    const nextLine = async () => {
      const line = await lines.next();
      if (line.done) throw new Error(`the identity provider stopped: ${stderr.join('')}`);
      return JSON.parse(line.value);
    };
    [browser, idp] = await Promise.all([launchChromium(), nextLine()]);
    started = await startNpmStartService('console_oidc', {
      JWT_JWKS_URL: idp.jwksUrl,
      JWT_AUDIENCE: idp.resource,
      OIDC_ISSUER: idp.issuer,
      OIDC_CLIENT_ID: idp.clientId,
      OIDC_RESOURCE: idp.resource,
    });
    service = started.service;
    // The provider's client takes the console as its redirect and post-logout URI.
    provider.stdin.write(`${service.httpUrl}\n`);
    expect(await nextLine()).toEqual({ ready: true });
  });

  afterAll(async () => {
    await context?.close().catch(() => undefined);
    await browser?.close();
    await started?.stop();
    provider?.kill();
  });

  it('an admin signs in at the provider, works with its token, has it refreshed before it expires, and signs out', async () => {
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    // The provider's development pages import a web font: nothing leaves the machine.
    await context.route('https://fonts.googleapis.com/**', (route) => route.abort());
    const page = await context.newPage();
    const problems = watchProblems(page);
    const tokenEndpoint = `${idp.issuer}/token`;
    const tokenResponse = (grant: string) =>
      page.waitForResponse(
        (r) =>
          r.url() === tokenEndpoint &&
          r.request().method() === 'POST' &&
          new URLSearchParams(r.request().postData() ?? '').get('grant_type') === grant,
      );
    const accessTokenOf = async (response: Response) => {
      expect(response.status()).toBe(200);
      return ((await response.json()) as { access_token: string }).access_token;
    };

    // No development sign-in on a service that trusts a provider: only the provider's button.
    const devOffer = page.waitForResponse((r) => r.url().endsWith('/api/v1/dev/sign-in'));
    await page.goto(`${service.httpUrl}/#/fleet`);
    const signIn = page.getByRole('button', { name: `Sign in at ${new URL(idp.issuer).host}` });
    await signIn.waitFor();
    expect((await devOffer).status()).toBe(404);
    expect(await page.getByRole('button').allTextContents()).toEqual([
      `Sign in at ${new URL(idp.issuer).host}`,
      'Sign in',
    ]);
    await screenshot(page, 'sign-in-oidc');
    expect(await seriousA11yViolations(page)).toEqual([]);

    // The provider's login and consent pages, then back on the page the sign-in started from.
    await signIn.click();
    await page.getByPlaceholder('Enter any login').fill('ada');
    await page.getByPlaceholder('and password').fill('any password');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    const codeExchanged = tokenResponse('authorization_code');
    await page.getByRole('button', { name: 'Continue' }).click();
    const firstToken = await accessTokenOf(await codeExchanged);
    await page.getByTestId('who').getByText('ada · tenant plant-a · admin').waitFor();
    await page.getByRole('heading', { name: 'Fleet' }).waitFor();
    expect(page.url()).toBe(`${service.httpUrl}/#/fleet`); // no code left in the address bar
    const refreshed = tokenResponse('refresh_token'); // from now on: the console's own timer

    // The service takes the provider's token: an admin registers a client.
    const registered = page.waitForResponse(
      (r) => r.url().endsWith('/api/v1/clients') && r.request().method() === 'POST',
    );
    await page.getByLabel('Client id').fill('press-1');
    await page.getByRole('button', { name: 'Register' }).click();
    expect((await registered).status()).toBe(201);
    expect((await registered).request().headers().authorization).toBe(`Bearer ${firstToken}`);
    await page.getByRole('row', { name: /press-1/ }).waitFor();

    // Tokens live in memory only; the PKCE verifier and state are gone once used.
    expect(
      await page.evaluate(() => JSON.stringify([{ ...sessionStorage }, { ...localStorage }])),
    ).toBe('[{},{}]');

    // A refresh before the access token expires; the calls after it carry the new token.
    const refresh = await refreshed;
    const refreshedAt = Date.now();
    const secondToken = await accessTokenOf(refresh);
    const firstExpiry = (
      JSON.parse(Buffer.from(firstToken.split('.')[1], 'base64url').toString()) as { exp: number }
    ).exp;
    expect(refreshedAt).toBeLessThan(firstExpiry * 1000);
    expect(secondToken).not.toBe(firstToken);
    const overview = page.waitForResponse((r) => r.url().endsWith('/api/v1/overview'));
    await page.getByRole('link', { name: 'Overview' }).click();
    expect((await overview).status()).toBe(200);
    expect((await overview).request().headers().authorization).toBe(`Bearer ${secondToken}`);
    await page.getByTestId('clients-total').getByText('1').waitFor();

    // Sign-out ends the provider's session too, and comes back to the sign-in page.
    const endSession = page.waitForRequest((r) => r.url().startsWith(`${idp.issuer}/session/end?`));
    await page.getByRole('button', { name: 'Sign out' }).click();
    expect(new URL((await endSession).url()).searchParams.get('id_token_hint')).toMatch(/^ey/);
    await page.getByRole('button', { name: 'Yes, sign me out' }).click();
    await signIn.waitFor();
    expect(page.url()).toBe(`${service.httpUrl}/`);
    await signIn.click();
    await page.getByPlaceholder('Enter any login').waitFor(); // asked to log in again
    expect(problems).toEqual([]);
  });
});
