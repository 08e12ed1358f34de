import { CommandBus } from '@nestjs/cqrs';
import { STATUS_REPORT_SCHEMA, type StatusReport } from '@opcfleet/contracts';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { IngestStatusReport } from '../../src/jobs/ingestion/ingest-status-report.command';
import { ReadModelProjection } from '../../src/read-models/read-model.projection';
import { ApiApp, token } from '../support/api-app';
import { EXAMPLE_SETTINGS } from '../../src/jobs/config/request-config-change/request-config-change.request.dto';

const IMAGE = 'registry.example.com/opc-core:2.1.0';
const validSettings = EXAMPLE_SETTINGS;

let api: ApiApp;
let admin: string;
let operator: string;
let auditor: string;
let otherAdmin: string;
const tenant = `t-${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  api = await ApiApp.start();
  [admin, operator, auditor, otherAdmin] = await Promise.all([
    token(tenant, ['admin']),
    token(tenant, ['operator']),
    token(tenant, ['auditor']),
    token(`other-${tenant}`, ['admin']),
  ]);
});
afterAll(() => api?.stop());

const http = () => request(api.server);
const as = (jwt: string) => ({ Authorization: `Bearer ${jwt}` });

async function register(clientId: string, body: Record<string, unknown> = {}) {
  const response = await http()
    .post('/api/v1/clients')
    .set(as(admin))
    .send({ clientId, labels: { line: 'A' }, version: '2.0.0', ...body });
  expect(response.status).toBe(201);
  return response;
}

async function requestUpdate(clientId: string, jwt = admin) {
  return http()
    .post(`/api/v1/clients/${clientId}/update`)
    .set(as(jwt))
    .send({ targetVersion: '2.1.0', image: IMAGE });
}

function report(
  jobId: string,
  clientId: string,
  seq: number,
  phase: string,
  extra: Record<string, unknown> = {},
) {
  return {
    schema: STATUS_REPORT_SCHEMA,
    messageId: randomUUID(),
    tenantId: tenant,
    clientId,
    correlationId: 'device-corr',
    jobId,
    seq,
    at: new Date().toISOString(),
    jobKind: 'update',
    phase,
    ...extra,
  } as StatusReport;
}

const ingest = (r: StatusReport) =>
  api.app
    .get(CommandBus)
    .execute(
      new IngestStatusReport({ report: r, topicTenantId: r.tenantId, topicClientId: r.clientId }),
    );

describe('authentication and roles', () => {
  it('answers 401 without a token, with a malformed one and with one signed by another key', async () => {
    expect((await http().get('/api/v1/clients')).status).toBe(401);
    expect(
      (await http().get('/api/v1/clients').set('Authorization', 'Bearer not-a-jwt')).status,
    ).toBe(401);
    const { mintDevToken } = await import('../../src/auth/mint-dev-token');
    const forged = await mintDevToken('another-secret-of-at-least-32-characters', {
      tenant,
      roles: ['admin'],
    });
    const response = await http().get('/api/v1/clients').set(as(forged));
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({
      statusCode: 401,
      message: expect.stringMatching(/invalid token/),
    });
  });

  it('answers 403 to a role that may not act', async () => {
    await register('roles-1');
    const byAuditor = await http()
      .post('/api/v1/clients/roles-1/config')
      .set(as(auditor))
      .send({ version: 1, settings: validSettings });
    expect(byAuditor.status).toBe(403);
    expect((await requestUpdate('roles-1', operator)).status).toBe(403);
    expect(
      (await http().post('/api/v1/clients').set(as(operator)).send({ clientId: 'x1' })).status,
    ).toBe(403);
    // Reading is for every role.
    expect((await http().get('/api/v1/clients/roles-1').set(as(auditor))).status).toBe(200);
    // Operators configure.
    const byOperator = await http()
      .post('/api/v1/clients/roles-1/config')
      .set(as(operator))
      .send({ version: 1, settings: validSettings });
    expect(byOperator.status).toBe(202);
  });

  it('keeps operational endpoints open: /health and /metrics', async () => {
    const health = await http().get('/health');
    expect(health.status).toBe(200);
    expect(health.body.checks.database.status).toBe('up');
    const metrics = await http().get('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toMatch(/opcfleet_jobs\{kind="config",status="Requested"\} \d+/);
  });

  it('serves the OpenAPI document at /docs', async () => {
    const response = await http().get('/docs-json');
    expect(response.status).toBe(200);
    expect(Object.keys(response.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/clients/{clientId}/update',
        '/api/v1/jobs/{id}/events',
        '/api/v1/jobs/changes',
      ]),
    );
  });
});

describe('validation', () => {
  it('lists every failing field of a registration, unknown fields included', async () => {
    const response = await http()
      .post('/api/v1/clients')
      .set(as(admin))
      .send({ clientId: 'bad/id', labels: { 'no spaces': 'x' }, version: '', extra: 1 });
    expect(response.status).toBe(400);
    const paths = response.body.fieldErrors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['clientId', 'labels', 'version', 'extra']));
  });

  it('lists every failing field of an update request', async () => {
    await register('val-1');
    const response = await http()
      .post('/api/v1/clients/val-1/update')
      .set(as(admin))
      .send({ targetVersion: '', image: 'Not An Image', imageDigest: 'md5:1' });
    expect(response.status).toBe(400);
    expect(response.body.fieldErrors.map((e: { path: string }) => e.path).sort()).toEqual([
      'image',
      'imageDigest',
      'targetVersion',
    ]);
  });

  it('reports the config schema errors inside settings with their paths', async () => {
    await register('val-2');
    const response = await http()
      .post('/api/v1/clients/val-2/config')
      .set(as(admin))
      .send({
        version: 0,
        settings: {
          ...validSettings,
          endpoints: [{ ...validSettings.endpoints[0], url: 'http://wrong' }],
          nodes: [{ ...validSettings.nodes[0], endpoint: 'nowhere' }],
        },
      });
    expect(response.status).toBe(400);
    const paths = response.body.fieldErrors.map((e: { path: string }) => e.path);
    expect(paths).toContain('version');
    expect(paths).toEqual(
      expect.arrayContaining(['settings.endpoints.0.url', 'settings.nodes.0.endpoint']),
    );
  });

  it('answers 400, not 500, to malformed JSON, a bad job id, a bad cursor or asOf', async () => {
    const json = await http()
      .post('/api/v1/clients')
      .set(as(admin))
      .set('Content-Type', 'application/json')
      .send('{"clientId":');
    expect(json.status).toBe(400);
    expect((await http().get('/api/v1/jobs/not-a-uuid').set(as(admin))).status).toBe(400);
    expect((await http().get('/api/v1/clients?cursor=garbage').set(as(admin))).status).toBe(400);
    expect(
      (await http().get(`/api/v1/jobs/${randomUUID()}?asOf=yesterday`).set(as(admin))).status,
    ).toBe(400);
  });
});

describe('update jobs', () => {
  it('answers 202 and shows Updating right away (read-your-writes)', async () => {
    await register('upd-1');
    const accepted = await requestUpdate('upd-1');
    expect(accepted.status).toBe(202);
    const { jobId } = accepted.body;
    const job = await http().get(`/api/v1/jobs/${jobId}`).set(as(auditor));
    expect(job.status).toBe(200);
    expect(job.body).toMatchObject({
      jobId,
      kind: 'update',
      clientId: 'upd-1',
      status: 'Requested',
      targetVersion: '2.1.0',
      image: IMAGE,
      fromVersion: '2.0.0',
    });
    const client = await http().get('/api/v1/clients/upd-1').set(as(auditor));
    expect(client.body).toMatchObject({
      status: 'Updating',
      updateJobId: jobId,
      version: { desired: '2.1.0', reported: '2.0.0' },
    });
  });

  it('refuses a second update in flight with 409 naming the running job, also under concurrency', async () => {
    await register('upd-2');
    const responses = await Promise.all([1, 2, 3, 4].map(() => requestUpdate('upd-2')));
    const accepted = responses.filter((r) => r.status === 202);
    const refused = responses.filter((r) => r.status === 409);
    expect(accepted).toHaveLength(1);
    expect(refused).toHaveLength(3);
    for (const r of refused)
      expect(r.body).toMatchObject({ error: 'update_in_flight', jobId: accepted[0].body.jobId });
  });

  it('follows device reports to success, ignores duplicates and late reports, and frees the client', async () => {
    await register('upd-3');
    const { jobId } = (await requestUpdate('upd-3')).body;
    expect(await ingest(report(jobId, 'upd-3', 1, 'received'))).toEqual({
      outcome: 'applied',
      eventType: 'UpdateReceived',
    });
    expect(await ingest(report(jobId, 'upd-3', 1, 'received'))).toEqual({ outcome: 'duplicate' });
    const beforeSuccess = new Date();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await ingest(report(jobId, 'upd-3', 3, 'committed', { version: '2.1.0' }));
    expect(await ingest(report(jobId, 'upd-3', 2, 'pulling'))).toEqual({
      outcome: 'ignored',
      reason: 'job_final',
    });

    const job = (await http().get(`/api/v1/jobs/${jobId}`).set(as(auditor))).body;
    expect(job).toMatchObject({
      status: 'Succeeded',
      phase: 'committed',
      reportedVersion: '2.1.0',
    });
    const client = (await http().get('/api/v1/clients/upd-3').set(as(auditor))).body;
    expect(client).toMatchObject({
      status: 'Online',
      version: { reported: '2.1.0' },
      lastUpdateOutcome: 'succeeded',
    });
    expect(client.updateJobId).toBeUndefined();
    expect(client.lastSeenAt).toBeDefined();

    // Auditors: the state as of before the commit report, and the raw events with metadata.
    const asOf = (
      await http().get(`/api/v1/jobs/${jobId}?asOf=${beforeSuccess.toISOString()}`).set(as(auditor))
    ).body;
    expect(asOf).toMatchObject({ status: 'InProgress', phase: 'received' });
    const events = (await http().get(`/api/v1/jobs/${jobId}/events`).set(as(auditor))).body;
    expect(events.map((e: { type: string }) => e.type)).toEqual([
      'UpdateRequested',
      'UpdateReceived',
      'UpdateSucceeded',
      'StatusReportIgnored',
    ]);
    expect(events[0].metadata).toMatchObject({
      actor: 'user-admin',
      tenantId: tenant,
      correlationId: expect.any(String),
    });
    expect(events[1].metadata).toMatchObject({
      actor: 'device:upd-3',
      correlationId: 'device-corr',
    });

    // The next update is accepted.
    expect((await requestUpdate('upd-3')).status).toBe(202);
    const history = (await http().get('/api/v1/clients/upd-3/history').set(as(auditor))).body;
    expect(history.jobs).toHaveLength(2);
    expect(history.jobs[1].events).toHaveLength(4);
    expect(history.events.map((e: { type: string }) => e.type)).toEqual([
      'ClientRegistered',
      'ClientUpdateStarted',
      'ClientUpdateEnded',
      'ClientUpdateStarted',
    ]);
  });

  it('records a failure reported by the device with its reason', async () => {
    await register('upd-4');
    const { jobId } = (await requestUpdate('upd-4')).body;
    await ingest(
      report(jobId, 'upd-4', 1, 'failed', {
        error: { code: 'pull_failed', message: 'manifest unknown' },
      }),
    );
    const job = (await http().get(`/api/v1/jobs/${jobId}`).set(as(admin))).body;
    expect(job).toMatchObject({
      status: 'Failed',
      failure: { reason: 'manifest unknown', code: 'pull_failed' },
    });
    expect((await http().get('/api/v1/clients/upd-4').set(as(admin))).body.status).toBe(
      'UpdateFailed',
    );
  });

  it('rejects a report on another client topic without touching the job', async () => {
    await register('upd-5');
    const { jobId } = (await requestUpdate('upd-5')).body;
    const r = report(jobId, 'upd-5', 1, 'received');
    const outcome = await api.app
      .get(CommandBus)
      .execute(
        new IngestStatusReport({ report: r, topicTenantId: tenant, topicClientId: 'someone-else' }),
      );
    expect(outcome).toEqual({ outcome: 'rejected', reason: 'topic_mismatch' });
    expect((await http().get(`/api/v1/jobs/${jobId}`).set(as(admin))).body.status).toBe(
      'Requested',
    );
  });

  it('cancels before the swap, refuses afterwards, and frees the client', async () => {
    await register('upd-6');
    const { jobId } = (await requestUpdate('upd-6')).body;
    expect(
      (await http().post(`/api/v1/jobs/${jobId}/cancel`).set(as(operator)).send({})).status,
    ).toBe(403);
    const cancelled = await http()
      .post(`/api/v1/jobs/${jobId}/cancel`)
      .set(as(admin))
      .send({ reason: 'wrong tag' });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toEqual({ jobId, status: 'Cancelled' });
    const again = await http().post(`/api/v1/jobs/${jobId}/cancel`).set(as(admin)).send({});
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ error: 'job_final', status: 'Cancelled' });

    const second = (await requestUpdate('upd-6')).body.jobId;
    await ingest(report(second, 'upd-6', 1, 'stopping_old'));
    const late = await http().post(`/api/v1/jobs/${second}/cancel`).set(as(admin)).send({});
    expect(late.status).toBe(409);
    expect(late.body).toMatchObject({ error: 'job_not_cancellable', phase: 'stopping_old' });
  });

  it('carries the caller correlation id into the response, the logs and the events', async () => {
    await register('corr-1');
    const response = await http()
      .post('/api/v1/clients/corr-1/update')
      .set(as(admin))
      .set('x-correlation-id', 'ticket-4711')
      .send({ targetVersion: '2.1.0', image: IMAGE });
    expect(response.status).toBe(202);
    expect(response.headers['x-correlation-id']).toBe('ticket-4711');
    const events = (await http().get(`/api/v1/jobs/${response.body.jobId}/events`).set(as(admin)))
      .body;
    expect(events[0].metadata).toMatchObject({ correlationId: 'ticket-4711', actor: 'user-admin' });
    expect(api.logs).toContainEqual(
      expect.objectContaining({
        correlationId: 'ticket-4711',
        msg: 'request completed',
        status: 202,
      }),
    );
    const generated = await http().get('/api/v1/clients/corr-1').set(as(admin));
    expect(generated.headers['x-correlation-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers 404 for an unknown client or job', async () => {
    expect((await requestUpdate('nobody')).status).toBe(404);
    expect((await http().get(`/api/v1/jobs/${randomUUID()}`).set(as(admin))).status).toBe(404);
  });
});

describe('config jobs', () => {
  it('accepts increasing versions only', async () => {
    await register('cfg-1');
    const send = (version: number) =>
      http()
        .post('/api/v1/clients/cfg-1/config')
        .set(as(operator))
        .send({ version, settings: validSettings });
    expect((await send(3)).status).toBe(202);
    const refused = await send(3);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({
      error: 'config_version_not_increasing',
      currentVersion: 3,
    });
    const accepted = await send(4);
    expect(accepted.status).toBe(202);
    const job = (await http().get(`/api/v1/jobs/${accepted.body.jobId}`).set(as(auditor))).body;
    expect(job).toMatchObject({ kind: 'config', status: 'Requested', configVersion: 4 });
    expect((await http().get('/api/v1/clients/cfg-1').set(as(auditor))).body.config).toEqual({
      desired: 4,
    });
  });
});

describe('tenant isolation', () => {
  it("answers 404 for another tenant's client and job ids, and never lists them", async () => {
    await register('iso-1');
    const { jobId } = (await requestUpdate('iso-1')).body;
    expect((await http().get('/api/v1/clients/iso-1').set(as(otherAdmin))).status).toBe(404);
    expect((await http().get('/api/v1/clients/iso-1/history').set(as(otherAdmin))).status).toBe(
      404,
    );
    expect((await requestUpdate('iso-1', otherAdmin)).status).toBe(404);
    expect((await http().get(`/api/v1/jobs/${jobId}`).set(as(otherAdmin))).status).toBe(404);
    expect((await http().get(`/api/v1/jobs/${jobId}/events`).set(as(otherAdmin))).status).toBe(404);
    expect(
      (
        await http()
          .get(`/api/v1/jobs/${jobId}?asOf=${new Date().toISOString()}`)
          .set(as(otherAdmin))
      ).status,
    ).toBe(404);
    expect(
      (await http().post(`/api/v1/jobs/${jobId}/cancel`).set(as(otherAdmin)).send({})).status,
    ).toBe(404);
    expect((await http().get('/api/v1/clients').set(as(otherAdmin))).body.items).toEqual([]);
    expect((await http().get('/api/v1/jobs').set(as(otherAdmin))).body.items).toEqual([]);
    // The same client id may exist in both tenants.
    expect(
      (await http().post('/api/v1/clients').set(as(otherAdmin)).send({ clientId: 'iso-1' })).status,
    ).toBe(201);
  });

  it('keeps apart tenants and clients whose ids join alike (acme7/east-1, acme7-east/1)', async () => {
    // Names joined with "-" once made these two clients one stream.
    const base = `j${randomUUID().slice(0, 6)}`;
    const [first, second] = [base, `${base}-east`];
    const [firstAdmin, secondAdmin] = await Promise.all([
      token(first, ['admin']),
      token(second, ['admin']),
    ]);
    const registered = (jwt: string, clientId: string) =>
      http().post('/api/v1/clients').set(as(jwt)).send({ clientId, version: '1.0.0' });
    const update = (jwt: string, clientId: string, targetVersion: string) =>
      http()
        .post(`/api/v1/clients/${clientId}/update`)
        .set(as(jwt))
        .send({ targetVersion, image: IMAGE });
    const config = (jwt: string, clientId: string, version: number) =>
      http()
        .post(`/api/v1/clients/${clientId}/config`)
        .set(as(jwt))
        .send({ version, settings: validSettings });

    expect((await registered(firstAdmin, 'east-1')).status).toBe(201);
    expect((await registered(secondAdmin, '1')).status).toBe(201);

    // The second tenant updates and configures its own client only.
    const theirs = await update(secondAdmin, '1', '6.6.6');
    expect(theirs.status).toBe(202);
    expect((await config(secondAdmin, '1', 7)).status).toBe(202);
    const mine = await http().get('/api/v1/clients/east-1').set(as(firstAdmin));
    expect(mine.body).toMatchObject({
      clientId: 'east-1',
      status: 'Online',
      version: { reported: '1.0.0' },
      config: { desired: 0 },
    });
    expect(mine.body.updateJobId).toBeUndefined();
    expect((await http().get(`/api/v1/jobs/${theirs.body.jobId}`).set(as(firstAdmin))).status).toBe(
      404,
    );

    // The first tenant is neither blocked nor told the other's config version.
    expect((await update(firstAdmin, 'east-1', '2.0.0')).status).toBe(202);
    expect((await config(firstAdmin, 'east-1', 1)).status).toBe(202);
    const stale = await config(firstAdmin, 'east-1', 1);
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ error: 'config_version_not_increasing', currentVersion: 1 });

    const theirClient = await http().get('/api/v1/clients/1').set(as(secondAdmin));
    expect(theirClient.body).toMatchObject({
      clientId: '1',
      status: 'Updating',
      version: { desired: '6.6.6' },
      config: { desired: 7 },
    });
    expect(
      (await http().get('/api/v1/jobs').set(as(firstAdmin))).body.items.map(
        (job: { clientId: string }) => job.clientId,
      ),
    ).toEqual(['east-1', 'east-1']);
  });
});

describe('lists', () => {
  it('filters clients by label, status and version and pages with a cursor', async () => {
    for (const i of [1, 2, 3, 4, 5]) {
      await register(`list-${i}`, {
        labels: { site: i % 2 ? 'north' : 'south' },
        version: i === 5 ? '1.0.0' : '2.0.0',
      });
    }
    const north = await http().get('/api/v1/clients?label=site=north&limit=2').set(as(auditor));
    expect(north.body.items.map((c: { clientId: string }) => c.clientId)).toEqual([
      'list-1',
      'list-3',
    ]);
    const next = await http()
      .get(`/api/v1/clients?label=site=north&limit=2&cursor=${north.body.nextCursor}`)
      .set(as(auditor));
    expect(next.body.items.map((c: { clientId: string }) => c.clientId)).toEqual(['list-5']);
    expect(next.body.nextCursor).toBeUndefined();
    const old = await http().get('/api/v1/clients?version=1.0.0').set(as(auditor));
    expect(old.body.items.map((c: { clientId: string }) => c.clientId)).toEqual(['list-5']);
    await requestUpdate('list-2');
    const updating = await http()
      .get('/api/v1/clients?status=Updating&label=site=south')
      .set(as(auditor));
    expect(updating.body.items.map((c: { clientId: string }) => c.clientId)).toEqual(['list-2']);
  });

  it('pages jobs newest first and filters them', async () => {
    await register('jobs-1');
    const ids: string[] = [];
    for (const version of [1, 2, 3]) {
      ids.push(
        (
          await http()
            .post('/api/v1/clients/jobs-1/config')
            .set(as(admin))
            .send({ version, settings: validSettings })
        ).body.jobId,
      );
    }
    const first = await http().get('/api/v1/jobs?clientId=jobs-1&limit=2').set(as(auditor));
    const second = await http()
      .get(`/api/v1/jobs?clientId=jobs-1&limit=2&cursor=${first.body.nextCursor}`)
      .set(as(auditor));
    expect(
      [...first.body.items, ...second.body.items].map((j: { jobId: string }) => j.jobId),
    ).toEqual(ids.reverse());
    const none = await http().get('/api/v1/jobs?clientId=jobs-1&kind=update').set(as(auditor));
    expect(none.body.items).toEqual([]);
  });
});

describe('server-sent events', () => {
  it('streams the changes of a job to a subscriber of its tenant', async () => {
    await register('sse-1');
    const { jobId } = (await requestUpdate('sse-1')).body;
    const received: string[] = [];
    const controller = new AbortController();
    const response = await fetch(
      `${api.url}/api/v1/jobs/changes?jobId=${jobId}&access_token=${auditor}`,
      {
        signal: controller.signal,
      },
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = response.body!.getReader();
    const readUntil = async (predicate: () => boolean) => {
      const decoder = new TextDecoder();
      while (!predicate()) {
        const { value, done } = await reader.read();
        if (done) break;
        received.push(decoder.decode(value));
      }
    };
    await ingest(report(jobId, 'sse-1', 1, 'received'));
    await ingest(report(jobId, 'sse-1', 2, 'committed', { version: '2.1.0' }));
    await readUntil(() => received.join('').includes('"status":"Succeeded"'));
    controller.abort();
    const text = received.join('');
    expect(text).toMatch(/event: job/);
    expect(text).toContain(`"jobId":"${jobId}"`);
    expect(text).toContain('"status":"Succeeded"');
  }, 15_000);

  it('refuses a stream without a token', async () => {
    const response = await fetch(`${api.url}/api/v1/jobs/changes`);
    expect(response.status).toBe(401);
  });
});

describe('projection subscription', () => {
  it('catches up with everything appended and reports its lag', async () => {
    await api.app.get(ReadModelProjection).caughtUp();
    const metrics = await http().get('/metrics');
    expect(metrics.text).toMatch(/opcfleet_projection_lag_seconds \d/);
  });
});
