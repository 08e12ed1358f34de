import type { INestApplication } from '@nestjs/common';
import fc from 'fast-check';
import { SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import request from 'supertest';
import { RolloutDriver } from '../../src/rollouts/rollout-driver';
import { ApiApp, TEST_JWT_SECRET, token } from '../support/api-app';
import { EventStoreHead } from '../support/event-store-head';

/**
 * Every endpoint the router knows (so a new one is fuzzed without touching this file), hit
 * with random and hostile requests: methods, path ids, query strings, JSON that is valid,
 * random, deep, wide, huge or poisoned, other content types and encodings, good and bad
 * tokens. Whatever comes in: never a 5xx, always an answer, the error body of the one error
 * mapping, and nothing appended to the event store for a refused request.
 */

/** Bounded so the suite stays well under a minute on a busy 2-core machine. */
const RUNS = 3000;
const TIME_LIMIT_MS = 30_000;
const ANSWER_TIMEOUT_MS = 15_000;

interface Route {
  method: string;
  /** Express pattern, e.g. /api/v1/clients/:clientId/update */
  path: string;
}

interface OpenApiSchema {
  type?: string;
  example?: unknown;
  default?: unknown;
  required?: string[];
  properties?: Record<string, OpenApiSchema>;
  $ref?: string;
}

interface FuzzRequest {
  method: string;
  path: string;
  query: string;
  authorization?: string;
  contentType?: string;
  contentEncoding?: string;
  body?: Buffer;
  chunked: boolean;
}

interface Answer {
  status: number;
  contentType: string;
  text: string;
}

let api: ApiApp;
let head: EventStoreHead;
let routes: Route[];
let bodySchemas: Map<string, OpenApiSchema>;
const tenant = `fuzz-${randomUUID().slice(0, 8)}`;
const ids = { client: 'fuzz-client', job: '', rollout: '' };
const tokens: Record<string, string> = {};

beforeAll(async () => {
  api = await ApiApp.start();
  head = await EventStoreHead.open(api.database.url);
  const secret = new TextEncoder().encode(TEST_JWT_SECRET);
  Object.assign(tokens, {
    admin: await token(tenant, ['admin']),
    operator: await token(tenant, ['operator']),
    auditor: await token(tenant, ['auditor']),
    otherTenant: await token(`${tenant}-other`, ['admin']),
    neverExpires: await new SignJWT({ tenant, roles: ['admin'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('forever')
      .sign(secret),
  });
  // Real ids, so that some requests reach the handlers of existing things.
  const as = { Authorization: `Bearer ${tokens.admin}` };
  await request(api.server).post('/api/v1/clients').set(as).send({ clientId: ids.client });
  ids.job = (
    await request(api.server)
      .post(`/api/v1/clients/${ids.client}/update`)
      .set(as)
      .send({ targetVersion: '2.1.0', image: 'registry.example.com/opc-core:2.1.0' })
  ).body.jobId;
  ids.rollout = (
    await request(api.server)
      .post('/api/v1/rollouts')
      .set(as)
      .send({
        clientIds: ['fuzz-ghost'],
        targetVersion: '2.1.0',
        image: 'registry.example.com/opc-core:2.1.0',
      })
  ).body.rolloutId;
  expect(ids.job && ids.rollout).toBeTruthy();
  await settled();
  routes = routesOf(api.app);
  bodySchemas = await requestBodySchemas();
});

afterAll(async () => {
  await head?.close();
  await api?.stop();
});

it('answers every request with a non-5xx and appends nothing for a refused one', async () => {
  expect(routes.map((route) => `${route.method} ${route.path}`)).toEqual(
    expect.arrayContaining(['POST /api/v1/rollouts', 'GET /api/v1/jobs/changes', 'GET /health']),
  );
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(fuzzRequest(), async (fuzz) => {
      runs++;
      const before = await head.read();
      const answer = await send(fuzz);
      const what = `${summary(fuzz)} answered ${answer.status} ${answer.text.slice(0, 300)}`;
      if (answer.status >= 500) throw new Error(what);
      if (answer.status < 400) {
        await settled();
        return;
      }
      const after = await head.read();
      if (after.events !== before.events || after.position !== before.position) {
        throw new Error(
          `${what}, yet the event store moved from ${before.position} to ${after.position}`,
        );
      }
      if (fuzz.method !== 'HEAD' && !isErrorBody(answer, answer.status)) {
        throw new Error(`${what}: not the body of the error mapping`);
      }
    }),
    { numRuns: RUNS, interruptAfterTimeLimit: TIME_LIMIT_MS, markInterruptAsFailure: false },
  );
  // Still serving, and no request ended in the 500 path of the error mapping.
  expect((await request(api.server).get('/health')).status).toBe(200);
  expect(api.logs.filter((line) => Number(line.level) >= 50)).toEqual([]);
  expect(runs).toBeGreaterThan(0);
}, 120_000);

function isErrorBody(answer: Answer, status: number): boolean {
  try {
    const body = JSON.parse(answer.text) as { statusCode?: unknown; message?: unknown };
    return body.statusCode === status && typeof body.message === 'string';
  } catch {
    return false;
  }
}

/** Waits until the rollout driver has reacted to everything (it appends after a 202). */
async function settled(): Promise<void> {
  for (;;) {
    const before = await head.read();
    await api.app.get(RolloutDriver).caughtUp();
    const after = await head.read();
    if (after.position === before.position) return;
  }
}

/** Every route of the Express router under Nest, with its method. */
function routesOf(app: INestApplication): Route[] {
  type Layer = { route?: { path: string; methods: Record<string, boolean> } };
  const router = (app.getHttpAdapter().getInstance() as { router: { stack: Layer[] } }).router;
  return router.stack.flatMap(({ route }) =>
    route
      ? Object.keys(route.methods)
          .filter((method) => method !== '_all')
          .map((method) => ({ method: method.toUpperCase(), path: route.path }))
      : [],
  );
}

/** The JSON schema of each route's body, from the OpenAPI document, keyed `METHOD /path/:param`. */
async function requestBodySchemas(): Promise<Map<string, OpenApiSchema>> {
  const document = (await request(api.server).get('/docs-json')).body as {
    paths: Record<
      string,
      Record<string, { requestBody?: { content: Record<string, { schema: OpenApiSchema }> } }>
    >;
    components: { schemas: Record<string, OpenApiSchema> };
  };
  const schemas = new Map<string, OpenApiSchema>();
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const ref = operation.requestBody?.content['application/json']?.schema.$ref;
      if (!ref) continue;
      const schema = document.components.schemas[ref.split('/').pop()!];
      schemas.set(`${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`, schema);
    }
  }
  return schemas;
}

// ---- what a request is made of ----

const HOSTILE_STRINGS = [
  '',
  ' ',
  '..',
  '__proto__',
  'constructor',
  'null',
  '-1',
  '1e999',
  'NaN',
  '0x10',
  '[object Object]',
  'a'.repeat(5000),
  '😀',
  '\u0000',
  '<script>',
  "' OR 1=1 --",
];

const RAW_SEGMENTS = ['%', '%E0%A4%A', '%zz', '%00', '%2F', '%2e%2e', '..', 'a%20b'];

function segment(): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(ids.client, ids.job, ids.rollout) },
    { weight: 2, arbitrary: fc.uuid() },
    { weight: 2, arbitrary: fc.constantFrom(...RAW_SEGMENTS) },
    {
      weight: 2,
      arbitrary: fc
        .oneof(fc.constantFrom(...HOSTILE_STRINGS), fc.string({ unit: 'grapheme', maxLength: 40 }))
        .map(encodeURIComponent),
    },
  );
}

function queryString(): fc.Arbitrary<string> {
  const key = fc.oneof(
    fc.constantFrom(
      'limit',
      'cursor',
      'label',
      'status',
      'version',
      'clientId',
      'jobId',
      'kind',
      'asOf',
      'access_token',
      '__proto__',
      'constructor',
      'a[b]',
      'a[__proto__]',
    ),
    fc.string({ maxLength: 12 }),
  );
  const value = fc.oneof(
    fc.constantFrom(...HOSTILE_STRINGS, 'line=A', '2026-11-23T10:00:05Z', '5', '0', '201'),
    fc.string({ unit: 'grapheme', maxLength: 30 }),
  );
  return fc.oneof(
    { weight: 6, arbitrary: fc.constant('') },
    {
      weight: 6,
      arbitrary: fc
        .array(fc.tuple(key, value), { maxLength: 6 })
        .map((pairs) =>
          pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&'),
        ),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom('%', '%zz=1', 'a=%E0%A4%A', '&&&', '=x', 'x'.repeat(8000)),
    },
  );
}

/** A value for a property: its example or default (often), or anything at all. */
function propertyValue(schema: OpenApiSchema): fc.Arbitrary<unknown> {
  const known = [schema.example, schema.default].filter((value) => value !== undefined);
  return fc.oneof(
    ...known.map((value) => ({ weight: 6, arbitrary: fc.constant(value) })),
    { weight: 1, arbitrary: fc.constant(null) },
    {
      weight: 1,
      arbitrary: fc.constantFrom<unknown>(...HOSTILE_STRINGS, -1, 0, 1e308, true, [], {}),
    },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  );
}

/** A body shaped like the route's DTO, with some properties dropped, spoiled or added. */
function shapedBody(schema: OpenApiSchema | undefined): fc.Arbitrary<unknown> {
  const properties = Object.entries(schema?.properties ?? {});
  const required = new Set(schema?.required ?? []);
  const record = fc.tuple(
    ...properties.map(([name, property]) =>
      fc.option(propertyValue(property), {
        freq: required.has(name) ? 10 : 2,
        nil: undefined,
      }),
    ),
  );
  const extra = fc.oneof(
    { weight: 4, arbitrary: fc.constant({}) },
    {
      weight: 1,
      arbitrary: fc.dictionary(
        fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', 'extra'), fc.string()),
        fc.jsonValue({ maxDepth: 2 }),
        { minKeys: 1, maxKeys: 3 },
      ),
    },
  );
  return fc.tuple(record, extra).map(([values, more]) => ({
    ...Object.fromEntries(
      properties.map(([name], i) => [name, values[i]]).filter(([, value]) => value !== undefined),
    ),
    ...more,
  }));
}

/** JSON text nested `depth` deep, in one of the places a DTO has objects or arrays. */
const deepJson = fc
  .tuple(fc.integer({ min: 10, max: 20_000 }), fc.constantFrom('labels', 'settings', 'clientIds'))
  .map(([depth, key]) => {
    const [open, close] = key === 'clientIds' ? ['[', ']'] : ['{"a":', '}'];
    return `{"${key}":${open.repeat(depth)}1${close.repeat(depth)}}`;
  });

/** Around the limits: 256 KiB for most routes, 2 MiB for rollouts. */
const hugeJson = fc
  .constantFrom(200_000, 262_144, 300_000, 2_000_000, 2_200_000)
  .map((size) => `{"labels":{"pad":"${'x'.repeat(size)}"}}`);

const wideLabels = fc.integer({ min: 65, max: 10_000 }).map((count) =>
  JSON.stringify({
    labels: Object.fromEntries(Array.from({ length: count }, (_, i) => [`k${i}`, 'v'])),
  }),
);

function body(schema: OpenApiSchema | undefined): fc.Arbitrary<Buffer | undefined> {
  const text = (arbitrary: fc.Arbitrary<unknown>) =>
    arbitrary.map((value) => Buffer.from(JSON.stringify(value) ?? 'null'));
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant(undefined) },
    { weight: 10, arbitrary: text(shapedBody(schema)) },
    { weight: 2, arbitrary: text(fc.jsonValue({ maxDepth: 4 })) },
    { weight: 1, arbitrary: deepJson.map((json) => Buffer.from(json)) },
    { weight: 1, arbitrary: hugeJson.map((json) => Buffer.from(json)) },
    { weight: 1, arbitrary: wideLabels.map((json) => Buffer.from(json)) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(
          '{"clientId":',
          '{"a":1,"a":2}',
          '\uFEFF{}',
          '{"__proto__":{"isAdmin":true}}',
          'clientId=x&labels[a]=b',
        )
        .map((raw) => Buffer.from(raw)),
    },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)) },
  );
}

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'application/json;charset="UTF-8"',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'text/plain',
  'application/merge-patch+json',
  ';;;',
];

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

const isApi = (route: Route) => route.path.startsWith('/api/');

function fuzzRequest(): fc.Arbitrary<FuzzRequest> {
  const route = fc.oneof(
    { weight: 12, arbitrary: fc.constantFrom(...routes.filter(isApi)) },
    { weight: 2, arbitrary: fc.constantFrom(...routes.filter((route) => !isApi(route))) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        { method: 'GET', path: '/api/v1/nowhere' },
        { method: 'POST', path: '/api/v1/clients/:clientId/update/extra' },
        { method: 'GET', path: '/' },
      ),
    },
  );
  return route
    .chain((chosen) => {
      const params = chosen.path.match(/:\w+/g) ?? [];
      return fc.record({
        method: fc.oneof(
          { weight: 4, arbitrary: fc.constant(chosen.method) },
          { weight: 1, arbitrary: fc.constantFrom(...METHODS) },
        ),
        path: fc
          .tuple(...params.map(() => segment()))
          .map((values) =>
            params.reduce((path, param, i) => path.replace(param, values[i]), chosen.path),
          ),
        query: queryString(),
        authorization: fc.oneof(
          { weight: 8, arbitrary: fc.constant(`Bearer ${tokens.admin}`) },
          {
            weight: 3,
            arbitrary: fc.constantFrom(
              `Bearer ${tokens.operator}`,
              `Bearer ${tokens.auditor}`,
              `Bearer ${tokens.otherTenant}`,
              `Bearer ${tokens.neverExpires}`,
              'Bearer not-a-jwt',
              'Basic YWRtaW46YWRtaW4=',
            ),
          },
          { weight: 1, arbitrary: fc.constant(undefined) },
        ),
        contentType: fc.oneof(
          { weight: 8, arbitrary: fc.constant('application/json') },
          { weight: 3, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
          { weight: 1, arbitrary: fc.constant(undefined) },
        ),
        contentEncoding: fc.oneof(
          { weight: 12, arbitrary: fc.constant(undefined) },
          { weight: 1, arbitrary: fc.constantFrom('gzip', 'deflate', 'identity', 'br') },
        ),
        body: body(bodySchemas.get(`${chosen.method} ${chosen.path}`)),
        chunked: fc.boolean(),
      });
    })
    .map((fuzz) => Object.assign(fuzz, { [fc.toStringMethod]: () => summary(fuzz) }));
}

function summary(fuzz: FuzzRequest): string {
  const body = fuzz.body
    ? `${fuzz.body.length} bytes ${JSON.stringify(fuzz.body.subarray(0, 200).toString())}`
    : 'no body';
  return (
    `${fuzz.method} ${fuzz.path}${fuzz.query ? `?${fuzz.query.slice(0, 200)}` : ''} ` +
    `[${fuzz.contentType ?? 'no content type'}${fuzz.contentEncoding ? `, ${fuzz.contentEncoding}` : ''}` +
    `${fuzz.chunked ? ', chunked' : ''}, ${fuzz.authorization?.slice(0, 20) ?? 'no token'}] ${body}`
  );
}

/** Sends the request as it is (supertest would fix it up); a server-sent event stream is cut after its head. */
function send(fuzz: FuzzRequest): Promise<Answer> {
  const { port } = api.server.address() as { port: number };
  const headers: Record<string, string> = {};
  if (fuzz.authorization) headers.authorization = fuzz.authorization;
  if (fuzz.contentType) headers['content-type'] = fuzz.contentType;
  if (fuzz.contentEncoding) headers['content-encoding'] = fuzz.contentEncoding;
  return new Promise((resolve, reject) => {
    let answered = false;
    const outgoing = http.request(
      {
        host: '127.0.0.1',
        port,
        method: fuzz.method,
        path: fuzz.query ? `${fuzz.path}?${fuzz.query}` : fuzz.path,
        headers,
        agent: false,
        timeout: ANSWER_TIMEOUT_MS,
      },
      (incoming) => {
        answered = true;
        const contentType = String(incoming.headers['content-type'] ?? '');
        if (contentType.startsWith('text/event-stream')) {
          outgoing.destroy();
          resolve({ status: incoming.statusCode!, contentType, text: '' });
          return;
        }
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('end', () =>
          resolve({
            status: incoming.statusCode!,
            contentType,
            text: Buffer.concat(chunks).toString(),
          }),
        );
        incoming.on('error', reject);
      },
    );
    outgoing.on('timeout', () =>
      outgoing.destroy(new Error(`${summary(fuzz)}: no answer within ${ANSWER_TIMEOUT_MS} ms`)),
    );
    // The server may answer (413) and close before the whole body is written: that is fine.
    outgoing.on('error', (error) => {
      if (!answered) reject(error);
    });
    if (!fuzz.body) {
      outgoing.end();
    } else if (fuzz.chunked) {
      // Said explicitly: Node frames a GET's body only when told to.
      outgoing.setHeader('transfer-encoding', 'chunked');
      const half = Math.floor(fuzz.body.length / 2);
      outgoing.write(fuzz.body.subarray(0, half));
      outgoing.end(fuzz.body.subarray(half));
    } else {
      outgoing.setHeader('content-length', fuzz.body.length);
      outgoing.end(fuzz.body);
    }
  });
}
