import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import request from 'supertest';
import { ApiApp, TEST_JWT_SECRET, token } from '../support/api-app';
import { EventStoreHead, type StoreHead } from '../support/event-store-head';
import { EXAMPLE_SETTINGS } from '../../src/jobs/config/request-config-change/request-config-change.request.dto';

/**
 * What an attacker (or a broken script) sends instead of a request: bodies too big, too deep,
 * too wide, with keys that do not belong, in another format, and tokens that never expire.
 * Each is refused with a 4xx from the one error mapping, and nothing reaches the event store.
 */
const IMAGE = 'registry.example.com/opc-core:2.1.0';
const validSettings = EXAMPLE_SETTINGS;

let api: ApiApp;
let head: EventStoreHead;
let admin: string;
const tenant = `t-${randomUUID().slice(0, 8)}`;
const CLIENT = 'hostile-1';

beforeAll(async () => {
  api = await ApiApp.start();
  head = await EventStoreHead.open(api.database.url);
  admin = await token(tenant, ['admin']);
  const registered = await http()
    .post('/api/v1/clients')
    .set(as(admin))
    .send({ clientId: CLIENT, version: '2.0.0' });
  expect(registered.status).toBe(201);
});
afterAll(async () => {
  await head?.close();
  await api?.stop();
});

const http = () => request(api.server);
const as = (jwt: string) => ({ Authorization: `Bearer ${jwt}` });
/** The fields a 400 names, each once. */
const pathsOf = (body: { fieldErrors?: Array<{ path: string }> }) =>
  [...new Set((body.fieldErrors ?? []).map((error) => error.path))].sort();

/** Sends `raw` as it is, as JSON unless told otherwise, and checks the store did not move. */
async function refused(
  path: string,
  raw: string | Buffer,
  headers: Record<string, string> = {},
): Promise<request.Response> {
  const before: StoreHead = await head.read();
  const response = await http()
    .post(path)
    .set(as(admin))
    .set({ 'Content-Type': 'application/json', ...headers })
    .send(raw);
  expect(response.status).toBeGreaterThanOrEqual(400);
  expect(response.status).toBeLessThan(500);
  expect(response.body.statusCode).toBe(response.status);
  expect(await head.read()).toEqual(before);
  return response;
}

const nested = (depth: number, leaf = '"x"') => '{"a":'.repeat(depth) + leaf + '}'.repeat(depth);
const realisticIds = (count: number) =>
  Array.from({ length: count }, (_, i) => `press-line-${String(i).padStart(5, '0')}`);

describe('body size', () => {
  it('answers 413 naming the limit to a body over it, declared or streamed', async () => {
    const big = JSON.stringify({ clientId: 'big-1', labels: { pad: 'x'.repeat(300 * 1024) } });
    const declared = await refused('/api/v1/clients', big);
    expect(declared.status).toBe(413);
    expect(declared.body).toMatchObject({
      error: 'payload_too_large',
      message: expect.stringMatching(/262144 bytes/),
    });

    const before = await head.read();
    const streamed = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(api.server)
        .post('/api/v1/clients')
        .set(as(admin))
        .set('Content-Type', 'application/json');
      req.write(big.slice(0, 200_000));
      req.write(big.slice(200_000));
      req.end((error, response) =>
        error ? reject(error) : resolve({ status: response.status, body: response.text }),
      );
    });
    expect(streamed.status).toBe(413);
    expect(await head.read()).toEqual(before);
  });

  it('reads no body for a caller without a valid token: 401 before any 413, 415 or 400', async () => {
    const big = JSON.stringify({ clientId: 'big-2', labels: { pad: 'x'.repeat(300 * 1024) } });
    for (const [raw, type] of [
      [big, 'application/json'],
      ['<client/>', 'application/xml'],
      ['{"clientId":', 'application/json'],
    ]) {
      const before = await head.read();
      const response = await http()
        .post('/api/v1/clients')
        .set(as('not-a-token'))
        .set('Content-Type', type)
        .send(raw);
      expect(response.status).toBe(401);
      expect(await head.read()).toEqual(before);
    }
  });

  it('takes a rollout of 10,000 client ids of realistic and of the longest length', async () => {
    for (const clientIds of [
      realisticIds(10_000),
      realisticIds(10_000).map((id) => id.padEnd(128, 'x')),
    ]) {
      // Valid but for the digest: the 400 proves the whole body was read and validated.
      const response = await refused(
        '/api/v1/rollouts',
        JSON.stringify(
          { clientIds, targetVersion: '2.1.0', image: IMAGE, imageDigest: 'md5:1' },
          null,
          2,
        ),
      );
      expect(response.status).toBe(400);
      expect(pathsOf(response.body)).toEqual(['imageDigest']);
    }
  });

  it('keeps the tighter limit on every other route', async () => {
    const response = await refused(
      `/api/v1/clients/${CLIENT}/update`,
      JSON.stringify({ targetVersion: '2.1.0', image: IMAGE, pad: 'x'.repeat(300 * 1024) }),
    );
    expect(response.status).toBe(413);
  });
});

describe('nesting depth', () => {
  it.each([
    ['labels', () => `{"clientId":"deep-1","labels":${nested(10_000)}}`, '/api/v1/clients'],
    [
      'config settings',
      () => `{"version":1,"settings":${nested(10_000)}}`,
      `/api/v1/clients/${CLIENT}/config`,
    ],
    [
      'an array',
      () =>
        `{"clientIds":${'['.repeat(10_000)}${']'.repeat(10_000)},"targetVersion":"2.1.0","image":"${IMAGE}"}`,
      '/api/v1/rollouts',
    ],
  ])('refuses %s nested 10,000 deep with 400 naming the limit', async (_, body, path) => {
    const response = await refused(path, body());
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({
      error: 'invalid_input',
      message: expect.stringMatching(/nested deeper than 16 levels/),
    });
  });

  it('refuses one level over the limit and takes the limit itself to validation', async () => {
    const over = await refused('/api/v1/clients', `{"clientId":"deep-2","labels":${nested(16)}}`);
    expect(over.body.message).toMatch(/nested deeper than 16 levels/);
    const at = await refused('/api/v1/clients', `{"clientId":"deep-2","labels":${nested(15)}}`);
    expect(at.status).toBe(400);
    expect(pathsOf(at.body)).toEqual(['labels']);
  });
});

describe('labels', () => {
  it('refuses 10,000 labels, and names or values over 63 characters, with 400 on labels', async () => {
    const many = Object.fromEntries(realisticIds(10_000).map((key) => [key, 'x']));
    for (const labels of [many, { ['k'.repeat(64)]: 'v' }, { k: 'v'.repeat(64) }, { k: 7 }]) {
      const response = await refused(
        '/api/v1/clients',
        JSON.stringify({ clientId: 'lab-1', labels }),
      );
      expect(response.status).toBe(400);
      expect(pathsOf(response.body)).toEqual(['labels']);
      expect(response.body.fieldErrors[0].message).toMatch(/at most 64 labels.*1-63/);
    }
  });

  it('takes 64 labels of 63 characters', async () => {
    const labels = Object.fromEntries(
      Array.from({ length: 64 }, (_, i) => [`${i}`.padEnd(63, 'k'), 'v'.repeat(63)]),
    );
    const response = await http()
      .post('/api/v1/clients')
      .set(as(admin))
      .send({ clientId: 'lab-64', labels });
    expect(response.status).toBe(201);
  });
});

describe('unknown and forbidden keys', () => {
  it.each([
    ['__proto__ at the top', `{"clientId":"p-1","__proto__":{"admin":true}}`, '__proto__'],
    ['constructor at the top', `{"clientId":"p-1","constructor":{"prototype":{}}}`, 'constructor'],
    [
      '__proto__ in labels',
      `{"clientId":"p-1","labels":{"__proto__":{"a":"b"}}}`,
      'labels.__proto__',
    ],
    ['prototype in labels', `{"clientId":"p-1","labels":{"prototype":"x"}}`, 'labels.prototype'],
  ])('refuses %s with 400 naming it', async (_, body, path) => {
    const response = await refused('/api/v1/clients', body);
    expect(response.status).toBe(400);
    expect(pathsOf(response.body)).toContain(path);
    expect(response.body.error).toBe('invalid_input');
  });

  it('names forbidden and unknown keys inside config settings', async () => {
    const settings = JSON.stringify({
      ...validSettings,
      endpoints: [{ ...validSettings.endpoints[0], colour: 'red' }],
      extra: 1,
    });
    const unknown = await refused(
      `/api/v1/clients/${CLIENT}/config`,
      `{"version":1,"settings":${settings}}`,
    );
    expect(unknown.status).toBe(400);
    expect(pathsOf(unknown.body)).toEqual(['settings.endpoints.0.colour', 'settings.extra']);

    const proto = await refused(
      `/api/v1/clients/${CLIENT}/config`,
      `{"version":1,"settings":${settings.replace('"extra"', '"__proto__"')}}`,
    );
    expect(pathsOf(proto.body)).toContain('settings.__proto__');
  });

  it('refuses forbidden keys in the query string', async () => {
    const response = await http().get('/api/v1/clients?__proto__=x&limit=5').set(as(admin));
    expect(response.status).toBe(400);
    expect(pathsOf(response.body)).toEqual(['__proto__']);
  });

  it('refuses a body that is not an object', async () => {
    for (const body of ['[{"clientId":"arr-1"}]', '"clientId"', '42', 'null']) {
      const response = await refused('/api/v1/clients', body);
      expect(response.status).toBe(400);
    }
  });
});

describe('content types', () => {
  it.each([
    ['form-urlencoded', 'application/x-www-form-urlencoded', 'clientId=form-1'],
    ['text', 'text/plain', '{"clientId":"text-1"}'],
    ['JSON in another charset', 'application/json; charset=latin1', '{"clientId":"latin-1"}'],
    ['a JSON dialect', 'application/merge-patch+json', '{"clientId":"merge-1"}'],
    ['no content type', '', '{"clientId":"none-1"}'],
  ])('answers 415 to %s', async (_, contentType, body) => {
    const response = await refused('/api/v1/clients', body, { 'Content-Type': contentType });
    expect(response.status).toBe(415);
    expect(response.body).toMatchObject({
      error: 'unsupported_media_type',
      message: expect.stringMatching(/application\/json/),
    });
  });

  it('answers 415 to a compressed body', async () => {
    const response = await refused('/api/v1/clients', '{"clientId":"gz-1"}', {
      'Content-Encoding': 'gzip',
    });
    expect(response.status).toBe(415);
  });

  it('takes application/json with charset utf-8, and bodiless commands', async () => {
    const response = await http()
      .post('/api/v1/clients')
      .set(as(admin))
      .set('Content-Type', 'application/json; charset=UTF-8')
      .send('{"clientId":"utf8-1"}');
    expect(response.status).toBe(201);
    const job = await http()
      .post(`/api/v1/clients/utf8-1/update`)
      .set(as(admin))
      .send({ targetVersion: '2.1.0', image: IMAGE });
    expect(job.status).toBe(202);
    const cancel = await http().post(`/api/v1/jobs/${job.body.jobId}/cancel`).set(as(admin));
    expect(cancel.status).toBe(200);
  });
});

describe('rollout options', () => {
  const rollout = (extra: Record<string, unknown>) =>
    JSON.stringify({ targetVersion: '2.1.0', image: IMAGE, ...extra });

  it('refuses an empty label selector, which would choose every client of the tenant', async () => {
    const response = await refused('/api/v1/rollouts', rollout({ labels: {} }));
    expect(response.status).toBe(400);
    expect(pathsOf(response.body)).toEqual(['labels']);
    expect(response.body.fieldErrors[0].message).toMatch(/at least one label/);
  });

  it.each([
    ['batchSize null', { batchSize: null }, 'batchSize'],
    ['maxFailures null', { maxFailures: null }, 'maxFailures'],
    ['maxFailures above 10,000', { maxFailures: 10_001 }, 'maxFailures'],
    ['imageDigest null', { imageDigest: null }, 'imageDigest'],
  ])('refuses %s', async (_, extra, path) => {
    const response = await refused('/api/v1/rollouts', rollout({ clientIds: [CLIENT], ...extra }));
    expect(response.status).toBe(400);
    expect(pathsOf(response.body)).toEqual([path]);
  });

  it('refuses null for the optional fields of the other commands', async () => {
    const register = await refused(
      '/api/v1/clients',
      '{"clientId":"n-1","labels":null,"version":null}',
    );
    expect(pathsOf(register.body)).toEqual(['labels', 'version']);
    const update = await refused(
      `/api/v1/clients/${CLIENT}/update`,
      rollout({ imageDigest: null }),
    );
    expect(pathsOf(update.body)).toEqual(['imageDigest']);
  });
});

describe('tokens', () => {
  const secret = new TextEncoder().encode(TEST_JWT_SECRET);
  const claims = { tenant, roles: ['admin'] };
  const now = () => Math.floor(Date.now() / 1000);

  it.each([
    [
      'without exp',
      () =>
        new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject('ana').setIssuedAt(),
      /"exp"/,
    ],
    [
      'living 25 hours (exp - iat)',
      () =>
        new SignJWT(claims)
          .setProtectedHeader({ alg: 'HS256' })
          .setSubject('ana')
          .setIssuedAt()
          .setExpirationTime('25h'),
      /lifetime/,
    ],
    [
      'living 25 hours without iat (exp - now)',
      () =>
        new SignJWT(claims)
          .setProtectedHeader({ alg: 'HS256' })
          .setSubject('ana')
          .setExpirationTime(now() + 25 * 3600),
      /lifetime/,
    ],
    [
      'with an empty sub',
      () =>
        new SignJWT(claims)
          .setProtectedHeader({ alg: 'HS256' })
          .setSubject('')
          .setIssuedAt()
          .setExpirationTime('1h'),
      /"sub"/,
    ],
    [
      'with a sub of 300 characters',
      () =>
        new SignJWT(claims)
          .setProtectedHeader({ alg: 'HS256' })
          .setSubject('s'.repeat(300))
          .setIssuedAt()
          .setExpirationTime('1h'),
      /"sub"/,
    ],
  ])('answers 401 to a token %s, saying why', async (_, build, reason) => {
    const jwt = await build().sign(secret);
    const response = await http().get('/api/v1/clients').set(as(jwt));
    expect(response.status).toBe(401);
    expect(response.body.message).toMatch(reason);
  });

  it('takes the 12-hour development token', async () => {
    expect((await http().get('/api/v1/clients').set(as(admin))).status).toBe(200);
  });
});
