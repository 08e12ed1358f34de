import type { EventStore, NewEvent } from '@opcfleet/event-store';
import { execFileSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync } from 'node:fs';
import { get, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Client } from 'pg';
import request from 'supertest';
import type { AuditEventDto } from '../../src/audit/audit-event.dto';
import { EXPORT_PAGE_SIZE } from '../../src/audit/export-audit-events/export-audit-events.http.controller';
import { EVENT_STORE } from '../../src/event-sourcing/event-store.token';
import { EXAMPLE_SETTINGS } from '../../src/jobs/config/request-config-change/request-config-change.request.dto';
import { jobStream } from '../../src/shared/domain/stream-names';
import { ApiApp, token } from '../support/api-app';
import { eventually } from '../support/memory-logger';

const IMAGE = 'registry.example.com/opc-core:2.1.0';

/**
 * The audit trail on a real PostgreSQL: tenant A's clients, jobs and a rollout made through
 * the API, found by each filter; tenant B finds none of it; and an export of 100,000 events
 * streams in bounded memory with a checksum that matches the bytes received.
 */
let api: ApiApp;
const tenantA = `audit-a-${randomUUID().slice(0, 8)}`;
const tenantB = `audit-b-${randomUUID().slice(0, 8)}`;
const jwt: Record<string, string> = {};

const http = () => request(api.server);
const as = (name: string) => ({ Authorization: `Bearer ${jwt[name]}` });

beforeAll(async () => {
  api = await ApiApp.start();
  const tokens = await Promise.all([
    token(tenantA, ['admin'], 'alice'),
    token(tenantA, ['operator'], 'olga'),
    token(tenantA, ['auditor'], 'audrey'),
    token(tenantB, ['admin', 'auditor'], 'bob'),
  ]);
  [jwt.admin, jwt.operator, jwt.auditor, jwt.otherTenant] = tokens;
});
afterAll(() => api?.stop());

/** Every event a search returns, following its cursors. */
async function search(query: Record<string, unknown>, who = 'auditor', limit = 500) {
  const items: AuditEventDto[] = [];
  let cursor: string | undefined;
  do {
    const response = await http()
      .get('/api/v1/audit/events')
      .query({ ...query, limit, ...(cursor ? { cursor } : {}) })
      .set(as(who));
    expect(response.status).toBe(200);
    items.push(...response.body.items);
    cursor = response.body.nextCursor;
  } while (cursor);
  return items;
}
const typesOf = (items: AuditEventDto[]) => items.map((item) => item.type);

describe('the audit trail of a tenant', () => {
  let updateJob: string;
  let configJob: string;
  let rolloutId: string;
  let rolloutJob: string;

  beforeAll(async () => {
    for (const clientId of ['press-1', 'press-2', 'press-3']) {
      const registered = await http()
        .post('/api/v1/clients')
        .set(as('admin'))
        .send({ clientId, labels: { line: 'A' }, version: '2.0.0' });
      expect(registered.status).toBe(201);
    }
    const update = await http()
      .post('/api/v1/clients/press-1/update')
      .set(as('admin'))
      .send({ targetVersion: '2.1.0', image: IMAGE });
    expect(update.status).toBe(202);
    updateJob = update.body.jobId;
    const config = await http()
      .post('/api/v1/clients/press-2/config')
      .set(as('operator'))
      .send({ version: 1, settings: EXAMPLE_SETTINGS });
    expect(config.status).toBe(202);
    configJob = config.body.jobId;
    const rollout = await http()
      .post('/api/v1/rollouts')
      .set(as('admin'))
      .send({ targetVersion: '2.1.0', image: IMAGE, clientIds: ['press-3'] });
    expect(rollout.status).toBe(202);
    rolloutId = rollout.body.rolloutId;
    // The rollout driver (a worker) opens its job: wait for the signal it leaves.
    const requested = await eventually(async () => {
      const events = await http().get(`/api/v1/rollouts/${rolloutId}/events`).set(as('auditor'));
      return events.body.find?.((e: { type: string }) => e.type === 'RolloutJobRequested');
    });
    rolloutJob = requested.data.jobId;
    // The trail shows only transactions older than every one still open in the database (so a
    // page never gains an event behind the reader): with other suites writing meanwhile, it
    // trails the streams a little. Wait until it shows the last event above.
    await eventually(async () =>
      typesOf(await search({ rolloutId })).includes('RolloutJobRequested'),
    );
  });

  it('finds every event of the tenant, newest first by default, oldest first when asked', async () => {
    const newest = await search({});
    const oldest = await search({ order: 'oldest' });
    expect(oldest.map((e) => e.eventId)).toEqual([...newest].reverse().map((e) => e.eventId));
    expect(typesOf(oldest).slice(0, 3)).toEqual([
      'ClientRegistered',
      'ClientRegistered',
      'ClientRegistered',
    ]);
    expect(typesOf(oldest)).toEqual(
      expect.arrayContaining(['UpdateRequested', 'ConfigChangeRequested', 'RolloutStarted']),
    );
    // Paging by two gives the same events as one page.
    expect((await search({}, 'auditor', 2)).map((e) => e.eventId)).toEqual(
      newest.map((e) => e.eventId),
    );
    expect(new Set(newest.map((e) => e.eventId)).size).toBe(newest.length);
  });

  it('finds them by actor, client, job, rollout, type and time range', async () => {
    const byOlga = await search({ actor: 'olga' });
    expect(typesOf(byOlga).sort()).toEqual(['ClientConfigRequested', 'ConfigChangeRequested']);
    expect(byOlga.every((e) => e.actor === 'olga')).toBe(true);

    const press1 = await search({ clientId: 'press-1', order: 'oldest' });
    expect(typesOf(press1)).toEqual(['ClientRegistered', 'ClientUpdateStarted', 'UpdateRequested']);
    expect(press1.map((e) => e.subjectId)).toEqual(['press-1', 'press-1', updateJob]);

    const job = await search({ jobId: configJob });
    expect(typesOf(job)).toEqual(['ConfigChangeRequested']);

    const rollout = await search({ rolloutId, order: 'oldest' });
    expect(typesOf(rollout)).toEqual(
      expect.arrayContaining([
        'RolloutStarted',
        'RolloutJobRequested',
        'UpdateRequested',
        'ClientUpdateStarted',
      ]),
    );
    expect(
      rollout
        .filter((e) => e.subjectKind === 'update-job')
        .every((e) => e.subjectId === rolloutJob),
    ).toBe(true);
    expect(rollout.some((e) => e.subjectId === updateJob)).toBe(false);
    // Filters hold together: the rollout's events on press-3's own stream.
    expect(
      typesOf(await search({ rolloutId, clientId: 'press-3', type: 'ClientUpdateStarted' })),
    ).toEqual(['ClientUpdateStarted']);

    const requested = await search({
      type: ['UpdateRequested', 'ConfigChangeRequested'],
      order: 'oldest',
    });
    expect(requested.map((e) => e.subjectId)).toEqual([updateJob, configJob, rolloutJob]);

    const all = await search({ order: 'oldest' });
    const from = all[3].recordedAt;
    const to = all[all.length - 2].recordedAt;
    const inRange = all.filter((e) => e.recordedAt >= from && e.recordedAt < to);
    expect(inRange.length).toBeGreaterThan(2);
    expect((await search({ from, to, order: 'oldest' })).map((e) => e.eventId)).toEqual(
      inRange.map((e) => e.eventId),
    );
  });

  it('answers the rollout’s own history like a job’s', async () => {
    const response = await http().get(`/api/v1/rollouts/${rolloutId}/events`).set(as('operator'));
    expect(response.status).toBe(200);
    expect(response.body[0]).toMatchObject({
      revision: 0,
      type: 'RolloutStarted',
      metadata: { actor: 'alice', tenantId: tenantA },
    });
  });

  it('shows another tenant nothing of it, whichever ids it names', async () => {
    expect(await search({}, 'otherTenant')).toEqual([]);
    for (const filter of [
      { clientId: 'press-1' },
      { jobId: updateJob },
      { rolloutId },
      { actor: 'alice' },
    ]) {
      expect(await search(filter, 'otherTenant')).toEqual([]);
    }
    const events = await http().get(`/api/v1/rollouts/${rolloutId}/events`).set(as('otherTenant'));
    expect(events.status).toBe(404);
    // A cursor of tenant A's search pages tenant B's own events, which are none.
    const page = await http().get('/api/v1/audit/events').query({ limit: 1 }).set(as('auditor'));
    const withCursor = await http()
      .get('/api/v1/audit/events')
      .query({ cursor: page.body.nextCursor })
      .set(as('otherTenant'));
    expect(withCursor.status).toBe(200);
    expect(withCursor.body.items).toEqual([]);
    const exported = await http().get('/api/v1/audit/events/export').set(as('otherTenant'));
    expect(exported.status).toBe(200);
    expect(exported.text).toBe('');
  });

  it('is for admins and auditors only', async () => {
    expect((await http().get('/api/v1/audit/events').set(as('operator'))).status).toBe(403);
    expect((await http().get('/api/v1/audit/events/export').set(as('operator'))).status).toBe(403);
    expect((await http().get('/api/v1/audit/events')).status).toBe(401);
    expect((await http().get('/api/v1/audit/events').set(as('admin'))).status).toBe(200);
  });

  it('refuses hostile input with 400 naming the failing fields', async () => {
    const refused = async (path: string, query: Record<string, unknown>, fields: string[]) => {
      const response = await http().get(path).query(query).set(as('auditor'));
      expect({ query, status: response.status }).toEqual({ query, status: 400 });
      expect(response.body.fieldErrors.map((e: { path: string }) => e.path).sort()).toEqual(fields);
    };
    const events = '/api/v1/audit/events';
    await refused(events, { cursor: 'garbage' }, ['cursor']);
    const forged = Buffer.from(
      JSON.stringify({ v: 1, order: 'newest', position: "1:1' OR 1=1 --" }),
    ).toString('base64url');
    await refused(events, { cursor: forged }, ['cursor']);
    await refused(events, { from: 'yesterday', to: '2026-02-30T00:00:00Z' }, ['from', 'to']);
    await refused(events, { type: ['UpdateRequested', 'DropTables'] }, ['type']);
    await refused(events, { limit: 1_000_000 }, ['limit']);
    await refused(events, { limit: -1, order: 'sideways' }, ['limit', 'order']);
    await refused(events, { from: '2026-11-23T00:00:00Z', to: '2026-11-22T00:00:00Z' }, ['to']);
    await refused(events, { clientId: '../x', jobId: 'nope', rolloutId: '1' }, [
      'clientId',
      'jobId',
      'rolloutId',
    ]);
    await refused(events, { actor: 'x'.repeat(300) }, ['actor']);
    await refused(`${events}/export`, { format: 'xml' }, ['format']);
    await refused(`${events}/export`, { type: 'Nope', from: 'now' }, ['from', 'type']);
  });

  it('exports the same events as CSV, quoted, with its checksum as a trailer', async () => {
    const { body, trailers } = await download(
      `/api/v1/audit/events/export?format=csv&order=oldest`,
      jwt.auditor,
    );
    const text = body.toString('utf8');
    const rows = text.split('\r\n').filter(Boolean);
    expect(rows[0]).toBe(
      'recordedAt,eventId,type,subjectKind,subjectId,revision,actor,correlationId,causationId,data',
    );
    expect(rows.length - 1).toBe((await search({})).length);
    expect(trailers['x-content-sha256']).toBe(createHash('sha256').update(body).digest('hex'));
    // HEAD: the headers of a download, no body, hence no trailer announced.
    const head = await http().head('/api/v1/audit/events/export?format=csv').set(as('auditor'));
    expect(head.status).toBe(200);
    expect(head.headers['content-type']).toMatch(/^text\/csv/);
    expect(head.headers.trailer).toBeUndefined();
  });
});

/** GETs over real HTTP, keeping the whole body (for small exports) and the trailers. */
async function download(path: string, bearer: string) {
  const response = await getResponse(path, bearer);
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return { response, body: Buffer.concat(chunks), trailers: response.trailers };
}

function getResponse(path: string, bearer: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    get(`${api.url}${path}`, { headers: { Authorization: `Bearer ${bearer}` } }, resolve).on(
      'error',
      reject,
    );
  });
}

describe('an export of 100,000 events', () => {
  const tenant = `audit-big-${randomUUID().slice(0, 8)}`;
  const EVENTS = 100_000;
  const PER_STREAM = 1_000;

  beforeAll(async () => {
    // Written through the port, as the service's jobs are: 100 job streams of 1,000 events.
    const store = api.app.get<EventStore>(EVENT_STORE);
    let jobId = '';
    for (let stream = 0; stream < EVENTS / PER_STREAM; stream++) {
      jobId = randomUUID();
      const events: NewEvent[] = Array.from({ length: PER_STREAM }, (_, i) => ({
        id: randomUUID(),
        type: 'UpdatePhaseReported',
        data: {
          jobId,
          seq: i + 1,
          phase: 'pulling',
          at: new Date().toISOString(),
          version: '2.0.0',
        },
        metadata: { actor: `device:press-${stream}`, tenantId: tenant, correlationId: jobId },
      }));
      await store.appendToStream(jobStream('update', tenant, jobId), events);
    }
    // What autovacuum does after such growth, before anyone could export it: with the
    // statistics of an almost empty table, the planner sorts all the tenant's events per page.
    const sql = new Client({ connectionString: api.database.url });
    await sql.connect();
    await sql.query('ANALYZE');
    await sql.end();
    // The trail shows only transactions older than every one still open in the database:
    // wait until its newest event is the last one written here (other suites write too).
    const auditor = await token(tenant, ['auditor'], 'big-auditor');
    await eventually(async () => {
      const newest = await http()
        .get('/api/v1/audit/events')
        .query({ limit: 1 })
        .set({ Authorization: `Bearer ${auditor}` });
      return newest.body.items?.[0]?.subjectId === jobId;
    }, 30_000);
  }, 120_000);

  it('streams in bounded memory, and its SHA-256 trailer is the one of the bytes received', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const auditor = await token(tenant, ['auditor'], 'big-auditor');
    const file = join(mkdtempSync(join(tmpdir(), 'audit-export-')), 'audit.ndjson');

    gc();
    const baseline = process.memoryUsage().heapUsed;
    let peakGrowth = 0;
    let received = 0;
    let nextSample = 0;
    const hash = createHash('sha256');
    const response = await getResponse('/api/v1/audit/events/export?format=ndjson', auditor);
    expect(response.statusCode).toBe(200);
    expect(response.headers.trailer).toBe('X-Content-SHA256');
    const out = createWriteStream(file);
    for await (const chunk of response) {
      const buffer = chunk as Buffer;
      hash.update(buffer);
      received += buffer.length;
      if (!out.write(buffer))
        await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      // What stays alive while the export runs (garbage aside), sampled every 4 MB.
      if (received >= nextSample) {
        nextSample += 4 * 1024 * 1024;
        gc();
        peakGrowth = Math.max(peakGrowth, process.memoryUsage().heapUsed - baseline);
      }
    }
    await new Promise<void>((resolve) => out.end(() => resolve()));
    const digest = hash.digest('hex');

    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    expect(lines).toHaveLength(EVENTS);
    expect(JSON.parse(lines[0])).toMatchObject({
      type: 'UpdatePhaseReported',
      subjectKind: 'update-job',
    });
    expect(received).toBeGreaterThan(20 * 1024 * 1024);
    // A fifth of the export at most, where holding it would take several times its size.
    console.log(
      `export: ${(received / 2 ** 20).toFixed(1)} MiB, peak live heap growth ${(peakGrowth / 2 ** 20).toFixed(1)} MiB`,
    );
    expect(peakGrowth).toBeLessThan(received / 5);

    expect(response.trailers['x-content-sha256']).toBe(digest);
    // The command line check the API document gives.
    expect(execFileSync('sha256sum', [file], { encoding: 'utf8' }).split(' ')[0]).toBe(digest);
    const logged = await eventually(() =>
      api.logs.find((line) => line.msg === 'audit export sent' && line.tenantId === tenant),
    );
    expect(logged).toMatchObject({ sha256: digest, bytes: received });
  }, 60_000);

  it('reads PostgreSQL no further ahead than a paused client, and stops when it leaves', async () => {
    const auditor = await token(tenant, ['auditor'], 'slow-auditor');
    const pagesRead = jest.spyOn(api.app.get<EventStore>(EVENT_STORE), 'queryEvents');
    let exporting: ServerResponse | undefined;
    const capture = (request: IncomingMessage, response: ServerResponse) => {
      if (request.url?.includes('/audit/events/export')) exporting = response;
    };
    api.server.on('request', capture);
    try {
      const response = await getResponse('/api/v1/audit/events/export?format=ndjson', auditor);
      response.pause();
      // The service fills the connection's buffers, then waits for them to drain...
      await eventually(() => exporting?.writableNeedDrain, 10_000);
      // ...and stays there: a count that no longer moves (this checks an absence, hence a span).
      let settled = -1;
      await eventually(async () => {
        const count = pagesRead.mock.calls.length;
        await new Promise((resolve) => setTimeout(resolve, 300));
        if (count === pagesRead.mock.calls.length) settled = count;
        return settled >= 0;
      }, 10_000);
      const pages = EVENTS / EXPORT_PAGE_SIZE;
      console.log(`paused client: ${settled} of ${pages} pages read`);
      expect(settled).toBeLessThan(pages / 4);

      response.destroy();
      await eventually(() =>
        api.logs.find(
          (line) => line.msg === 'audit export abandoned by the client' && line.tenantId === tenant,
        ),
      );
      expect(pagesRead.mock.calls.length).toBe(settled);
    } finally {
      api.server.off('request', capture);
      pagesRead.mockRestore();
    }
  }, 60_000);
});
