import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import request from 'supertest';
import { findConsoleDir } from '../../src/console-assets/serve-console';
import { startNpmStartService } from '../support/npm-start-service';

/** The service as `npm start` runs it, on a test database, with the embedded broker and key. */
const start = (env: Record<string, string> = {}) => startNpmStartService('dm_console', env);

describe('the console, served by the service (needs `npm run build:console`)', () => {
  let started: Awaited<ReturnType<typeof start>>;
  beforeAll(async () => {
    started = await start();
  });
  afterAll(() => started.stop());

  it('serves index.html at / uncached, under a CSP without inline scripts', async () => {
    const response = await request(started.service.httpUrl).get('/').expect(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.headers['cache-control']).toBe('no-cache');
    const csp = response.headers['content-security-policy'];
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("connect-src 'self';");
    expect(response.text).toMatch(/<script type="module" crossorigin src="\/assets\/[^"]+\.js">/);
    expect(response.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  });

  it('serves the hashed assets as immutable, and nothing else under /assets', async () => {
    const [script] = (await readdir(join(findConsoleDir()!, 'assets'))).filter((f) =>
      f.endsWith('.js'),
    );
    const response = await request(started.service.httpUrl).get(`/assets/${script}`).expect(200);
    expect(response.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(response.headers['content-type']).toMatch(/javascript/);
    await request(started.service.httpUrl).get('/assets/nothing-here.js').expect(404);
    await request(started.service.httpUrl).get('/api/v1/clients').expect(401);
  });

  it('signs in development users of any role and tenant; the server still enforces roles', async () => {
    const http = request(started.service.httpUrl);
    const offer = await http.get('/api/v1/dev/sign-in').expect(200);
    expect(offer.body).toEqual({ tenant: 'demo', roles: ['admin', 'operator', 'auditor'] });
    await http.get('/api/v1/console/settings').expect(200, {}); // no OpenID provider
    const auditor = await http
      .post('/api/v1/dev/sign-in')
      .send({ role: 'auditor', tenant: 'tenant-b' })
      .expect(200);
    expect(auditor.body).toMatchObject({ tenant: 'tenant-b', roles: ['auditor'] });
    const bearer = `Bearer ${auditor.body.token}`;
    await http.get('/api/v1/clients').set('Authorization', bearer).expect(200);
    const refused = await http
      .post('/api/v1/clients')
      .set('Authorization', bearer)
      .send({ clientId: 'line-1' })
      .expect(403);
    expect(refused.body.message).toContain('admin');
    const invalid = await http.post('/api/v1/dev/sign-in').send({ role: 'root' }).expect(400);
    expect(invalid.body.fieldErrors).toEqual([expect.objectContaining({ path: 'role' })]);
  });
});

describe('development sign-in outside development', () => {
  it('does not exist when the service is given its JWT key', async () => {
    const started = await start({ JWT_SECRET: 'a-production-like-secret-of-enough-length-0123' });
    try {
      const http = request(started.service.httpUrl);
      await http.get('/api/v1/dev/sign-in').expect(404);
      await http.post('/api/v1/dev/sign-in').send({ role: 'admin' }).expect(404);
    } finally {
      await started.stop();
    }
  });
});

describe('the console signing in at an OpenID provider', () => {
  it('learns the provider from GET /console/settings, and its CSP lets it talk to the provider', async () => {
    const started = await start({
      JWT_JWKS_URL: 'https://id.example:8443/jwks',
      JWT_AUDIENCE: 'https://fleet.example',
      OIDC_ISSUER: 'https://id.example:8443/realms/plant',
      OIDC_CLIENT_ID: 'opcfleet-console',
      OIDC_RESOURCE: 'https://fleet.example',
    });
    try {
      const http = request(started.service.httpUrl);
      const settings = await http.get('/api/v1/console/settings').expect(200);
      expect(settings.body).toEqual({
        oidc: {
          issuer: 'https://id.example:8443/realms/plant',
          clientId: 'opcfleet-console',
          scopes: 'openid profile offline_access',
          resource: 'https://fleet.example',
        },
      });
      await http.get('/api/v1/dev/sign-in').expect(404);
      const page = await http.get('/').expect(200);
      expect(page.headers['content-security-policy']).toContain(
        "connect-src 'self' https://id.example:8443;",
      );
    } finally {
      await started.stop();
    }
  });
});
