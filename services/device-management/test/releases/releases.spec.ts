import { CommandBus } from '@nestjs/cqrs';
import { STATUS_REPORT_SCHEMA, type StatusReport } from '@opcfleet/contracts';
import type { EventStore } from '@opcfleet/event-store';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { EVENT_STORE } from '../../src/event-sourcing/event-store.token';
import { IngestStatusReport } from '../../src/jobs/ingestion/ingest-status-report.command';
import {
  releaseStream,
  rolloutStream,
  updateJobStream,
} from '../../src/shared/domain/stream-names';
import { ApiApp, token } from '../support/api-app';
import { eventually } from '../support/memory-logger';

jest.setTimeout(30_000);

/**
 * The release catalogue on a real PostgreSQL: registering, listing, withdrawing, and updating
 * clients (one, or a rollout) by release, with its refusals.
 */
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
const digest = (hex: string) => `sha256:${hex.repeat(64 / hex.length)}`;

const release = (version: string, changes: Record<string, unknown> = {}) => ({
  product: 'opc-core',
  version,
  image: `registry.example.com/opc-core:${version}`,
  imageDigest: digest('ab'),
  notes: `Release ${version}.`,
  constraints: { site: 'plant-7' },
  ...changes,
});

async function registerRelease(body: Record<string, unknown>) {
  const response = await http().post('/api/v1/releases').set(as(admin)).send(body);
  expect(response.status).toBe(201);
  return response.body as { releaseId: string; version: string; imageDigest: string };
}

async function registerClient(clientId: string, labels: Record<string, string>, version: string) {
  const response = await http()
    .post('/api/v1/clients')
    .set(as(admin))
    .send({ clientId, labels, version });
  expect(response.status).toBe(201);
}

const updateBy = (clientId: string, body: Record<string, unknown>, jwt = admin) =>
  http().post(`/api/v1/clients/${clientId}/update`).set(as(jwt)).send(body);

const ingest = (report: Partial<StatusReport> & { jobId: string; clientId: string }) =>
  api.app.get(CommandBus).execute(
    new IngestStatusReport({
      report: {
        schema: STATUS_REPORT_SCHEMA,
        messageId: randomUUID(),
        tenantId: tenant,
        correlationId: 'device-corr',
        at: new Date().toISOString(),
        jobKind: 'update',
        ...report,
      } as StatusReport,
      topicTenantId: tenant,
      topicClientId: report.clientId,
    }),
  );

describe('registering releases', () => {
  it('registers a version once: the same content again is the same release, other content 409', async () => {
    const first = await registerRelease(release('1.0.0'));
    expect(first).toMatchObject({
      product: 'opc-core',
      version: '1.0.0',
      imageDigest: digest('ab'),
      constraints: { site: 'plant-7' },
    });
    expect(first).not.toHaveProperty('withdrawn');

    const again = await http().post('/api/v1/releases').set(as(admin)).send(release('1.0.0'));
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first);

    const other = await http()
      .post('/api/v1/releases')
      .set(as(admin))
      .send(release('1.0.0', { imageDigest: digest('cd') }));
    expect(other.status).toBe(409);
    expect(other.body).toMatchObject({
      error: 'release_exists',
      releaseId: first.releaseId,
      differs: ['imageDigest'],
    });

    // One event, with its actor, on the release's stream.
    const events = await api.app
      .get<EventStore>(EVENT_STORE)
      .readStream(releaseStream(tenant, first.releaseId));
    expect(events.map((e) => e.type)).toEqual(['ReleaseRegistered']);
    expect(events[0].metadata).toMatchObject({ actor: 'user-admin', tenantId: tenant });
  });

  it('refuses a version that is not semantic, an image without digest, unknown fields: 400', async () => {
    const response = await http()
      .post('/api/v1/releases')
      .set(as(admin))
      .send({ product: 'opc-core', version: '2.1', image: 'registry.example.com/x:1', extra: 1 });
    expect(response.status).toBe(400);
    const paths = (response.body.fieldErrors as { path: string }[]).map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['version', 'imageDigest', 'extra']));

    const pinnedElsewhere = await http()
      .post('/api/v1/releases')
      .set(as(admin))
      .send(release('1.0.1', { image: `registry.example.com/opc-core@${digest('cd')}` }));
    expect(pinnedElsewhere.status).toBe(400);
    expect(pinnedElsewhere.body.fieldErrors).toEqual([
      { path: 'image', message: 'image ends in another digest than imageDigest' },
    ]);
  });

  it('is for admins: 401 without a token, 403 for an operator; everyone with a role reads', async () => {
    expect((await http().post('/api/v1/releases').send(release('1.0.2'))).status).toBe(401);
    expect((await http().get('/api/v1/releases')).status).toBe(401);
    const asOperator = await http()
      .post('/api/v1/releases')
      .set(as(operator))
      .send(release('1.0.2'));
    expect(asOperator.status).toBe(403);
    expect((await http().get('/api/v1/releases').set(as(auditor))).status).toBe(200);
  });
});

describe('the catalogue', () => {
  it('lists newest first, by product, withdrawn or not, a page at a time', async () => {
    const a = await registerRelease(release('5.0.0', { product: 'listed' }));
    // Newest first: b is registered a few milliseconds later.
    await new Promise((resolve) => setTimeout(resolve, 5));
    const b = await registerRelease(release('5.1.0', { product: 'listed' }));
    await registerRelease(release('5.1.0', { product: 'other-product' }));

    const first = await http()
      .get('/api/v1/releases')
      .query({ product: 'listed', limit: 1 })
      .set(as(auditor));
    expect(first.status).toBe(200);
    expect(first.body.items.map((r: { releaseId: string }) => r.releaseId)).toEqual([b.releaseId]);
    const second = await http()
      .get('/api/v1/releases')
      .query({ product: 'listed', limit: 1, cursor: first.body.nextCursor })
      .set(as(auditor));
    expect(second.body.items.map((r: { releaseId: string }) => r.releaseId)).toEqual([a.releaseId]);
    expect(second.body.nextCursor).toBeUndefined();

    const withdrawn = await http()
      .post(`/api/v1/releases/${a.releaseId}/withdraw`)
      .set(as(admin))
      .send({ reason: 'memory leak' });
    expect(withdrawn.status).toBe(200);
    expect(withdrawn.body.withdrawn).toMatchObject({ reason: 'memory leak' });

    const only = async (withdrawnFilter: string) =>
      (
        await http()
          .get('/api/v1/releases')
          .query({ product: 'listed', withdrawn: withdrawnFilter })
          .set(as(auditor))
      ).body.items.map((r: { releaseId: string }) => r.releaseId);
    expect(await only('true')).toEqual([a.releaseId]);
    expect(await only('false')).toEqual([b.releaseId]);

    const bad = await http().get('/api/v1/releases').query({ withdrawn: 'maybe', cursor: 'x' });
    expect(bad.status).toBe(401);
    const badQuery = await http()
      .get('/api/v1/releases')
      .query({ withdrawn: 'maybe' })
      .set(as(auditor));
    expect(badQuery.status).toBe(400);
    const badCursor = await http()
      .get('/api/v1/releases')
      .query({ cursor: 'not-ours' })
      .set(as(auditor));
    expect(badCursor.status).toBe(400);
  });

  it('shows one release to its tenant only; 404 for an unknown id, 400 for a malformed one', async () => {
    const r = await registerRelease(release('6.0.0'));
    const got = await http().get(`/api/v1/releases/${r.releaseId}`).set(as(auditor));
    expect(got.status).toBe(200);
    expect(got.body).toEqual(r);
    expect((await http().get(`/api/v1/releases/${r.releaseId}`).set(as(otherAdmin))).status).toBe(
      404,
    );
    expect((await http().get(`/api/v1/releases/${randomUUID()}`).set(as(auditor))).status).toBe(
      404,
    );
    expect((await http().get('/api/v1/releases/not-a-uuid').set(as(auditor))).status).toBe(400);
    const withdrawOther = await http()
      .post(`/api/v1/releases/${r.releaseId}/withdraw`)
      .set(as(otherAdmin))
      .send({ reason: 'not yours' });
    expect(withdrawOther.status).toBe(404);
    const noReason = await http()
      .post(`/api/v1/releases/${r.releaseId}/withdraw`)
      .set(as(admin))
      .send({});
    expect(noReason.status).toBe(400);
  });
});

describe('updating a client by release', () => {
  it("opens a job that carries the release's image@digest and version, and records the release", async () => {
    const r = await registerRelease(release('2.1.0', { imageDigest: digest('12') }));
    await registerClient('rel-1', { site: 'plant-7', line: 'A' }, '2.0.0');
    const response = await updateBy('rel-1', { releaseId: r.releaseId });
    expect(response.status).toBe(202);
    const { jobId } = response.body as { jobId: string };

    const job = await http().get(`/api/v1/jobs/${jobId}`).set(as(auditor));
    expect(job.body).toMatchObject({
      targetVersion: '2.1.0',
      image: 'registry.example.com/opc-core:2.1.0',
      imageDigest: digest('12'),
      releaseId: r.releaseId,
    });
    const [requested] = await api.app
      .get<EventStore>(EVENT_STORE)
      .readStream(updateJobStream(tenant, jobId));
    expect(requested).toMatchObject({
      type: 'UpdateRequested',
      data: { releaseId: r.releaseId, imageDigest: digest('12'), fromVersion: '2.0.0' },
    });

    // On the way, then running it once the device reports success.
    const clientsOf = async () =>
      (await http().get(`/api/v1/releases/${r.releaseId}/clients`).set(as(auditor))).body;
    expect(await clientsOf()).toEqual({
      items: [
        {
          clientId: 'rel-1',
          state: 'updating',
          jobId,
          jobStatus: 'Requested',
          reportedVersion: '2.0.0',
        },
      ],
    });
    await ingest({ jobId, clientId: 'rel-1', seq: 1, phase: 'committed', version: '2.1.0' });
    expect(await clientsOf()).toEqual({
      items: [
        {
          clientId: 'rel-1',
          state: 'running',
          jobId,
          jobStatus: 'Succeeded',
          reportedVersion: '2.1.0',
        },
      ],
    });
    const running = await http()
      .get(`/api/v1/releases/${r.releaseId}/clients`)
      .query({ state: 'failed' })
      .set(as(auditor));
    expect(running.body).toEqual({ items: [] });
  });

  it('takes exactly one of the two ways: 400 naming the fields otherwise', async () => {
    await registerClient('rel-ways', { site: 'plant-7' }, '2.0.0');
    const both = await updateBy('rel-ways', {
      releaseId: randomUUID(),
      image: 'registry.example.com/opc-core:2.1.0',
      targetVersion: '2.1.0',
    });
    expect(both.status).toBe(400);
    expect(both.body.fieldErrors).toEqual([
      {
        path: 'releaseId',
        message: 'give either releaseId or image, targetVersion, imageDigest, not both',
      },
    ]);
    const neither = await updateBy('rel-ways', {});
    expect(neither.status).toBe(400);
    const paths = (neither.body.fieldErrors as { path: string }[]).map((e) => e.path);
    expect(new Set(paths)).toEqual(new Set(['releaseId', 'targetVersion', 'image']));
    const downgradeAlone = await updateBy('rel-ways', {
      image: 'registry.example.com/opc-core:2.1.0',
      targetVersion: '2.1.0',
      allowDowngrade: true,
    });
    expect(downgradeAlone.status).toBe(400);
    expect(downgradeAlone.body.fieldErrors).toEqual([
      { path: 'allowDowngrade', message: 'allowDowngrade goes with releaseId' },
    ]);
    // The explicit way stays for administrators.
    const explicit = await updateBy('rel-ways', {
      image: 'registry.example.com/opc-core:9.9.9',
      targetVersion: '9.9.9',
    });
    expect(explicit.status).toBe(202);
  });

  it('404 for an unknown release, 403 for an operator', async () => {
    await registerClient('rel-404', { site: 'plant-7' }, '2.0.0');
    const unknown = await updateBy('rel-404', { releaseId: randomUUID() });
    expect(unknown.status).toBe(404);
    const r = await registerRelease(release('2.2.0'));
    expect((await updateBy('rel-404', { releaseId: r.releaseId }, operator)).status).toBe(403);
    // Another tenant's release is not found.
    const elsewhere = await http()
      .post('/api/v1/clients')
      .set(as(otherAdmin))
      .send({ clientId: 'rel-404', labels: { site: 'plant-7' }, version: '2.0.0' });
    expect(elsewhere.status).toBe(201);
    expect((await updateBy('rel-404', { releaseId: r.releaseId }, otherAdmin)).status).toBe(404);
  });

  it('refuses a withdrawn release: 409 release_withdrawn', async () => {
    const r = await registerRelease(release('2.3.0'));
    await registerClient('rel-w', { site: 'plant-7' }, '2.0.0');
    await http()
      .post(`/api/v1/releases/${r.releaseId}/withdraw`)
      .set(as(admin))
      .send({ reason: 'bad build' });
    const response = await updateBy('rel-w', { releaseId: r.releaseId });
    expect(response.status).toBe(409);
    expect(response.body).toMatchObject({ error: 'release_withdrawn', releaseId: r.releaseId });
    // Withdrawing again changes nothing.
    await http()
      .post(`/api/v1/releases/${r.releaseId}/withdraw`)
      .set(as(admin))
      .send({ reason: 'again' });
    const events = await api.app
      .get<EventStore>(EVENT_STORE)
      .readStream(releaseStream(tenant, r.releaseId));
    expect(events.map((e) => e.type)).toEqual(['ReleaseRegistered', 'ReleaseWithdrawn']);
    expect(events[1]).toMatchObject({
      data: { reason: 'bad build' },
      metadata: { actor: 'user-admin' },
    });
  });

  it("refuses a client without the release's constraint labels: 409 with the missing labels", async () => {
    const r = await registerRelease(
      release('2.4.0', { constraints: { site: 'plant-7', arch: 'arm64' } }),
    );
    await registerClient('rel-c', { site: 'plant-7', arch: 'amd64' }, '2.0.0');
    const response = await updateBy('rel-c', { releaseId: r.releaseId });
    expect(response.status).toBe(409);
    expect(response.body).toMatchObject({
      error: 'release_constraints_not_met',
      missingLabels: { arch: 'arm64' },
    });
    const client = await http().get('/api/v1/clients/rel-c').set(as(auditor));
    expect(client.body.status).toBe('Online');
  });

  it('refuses a downgrade, then allows it with allowDowngrade', async () => {
    const r = await registerRelease(release('2.5.0'));
    await registerClient('rel-d', { site: 'plant-7' }, '3.0.0');
    const refused = await updateBy('rel-d', { releaseId: r.releaseId });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ error: 'downgrade_refused', reportedVersion: '3.0.0' });
    const allowed = await updateBy('rel-d', { releaseId: r.releaseId, allowDowngrade: true });
    expect(allowed.status).toBe(202);
    const [requested] = await api.app
      .get<EventStore>(EVENT_STORE)
      .readStream(updateJobStream(tenant, allowed.body.jobId));
    expect(requested.data).toMatchObject({ releaseId: r.releaseId, downgradeAllowed: true });

    // The device could not install it: the release lists the client as failed.
    await ingest({
      jobId: allowed.body.jobId,
      clientId: 'rel-d',
      seq: 1,
      phase: 'failed',
      error: { code: 'pull_failed', message: 'manifest unknown' },
    } as Partial<StatusReport> & { jobId: string; clientId: string });
    const clients = await http().get(`/api/v1/releases/${r.releaseId}/clients`).set(as(auditor));
    expect(clients.body.items).toEqual([
      {
        clientId: 'rel-d',
        state: 'failed',
        jobId: allowed.body.jobId,
        jobStatus: 'Failed',
        reportedVersion: '3.0.0',
      },
    ]);
  });
});

describe('a rollout by release', () => {
  it('gives the release to the clients that meet it and skips the others with the reason', async () => {
    const r = await registerRelease(release('4.0.0', { imageDigest: digest('77') }));
    await registerClient('ro-fits', { site: 'plant-7' }, '3.0.0');
    await registerClient('ro-lacks', { site: 'plant-8' }, '3.0.0');
    await registerClient('ro-ahead', { site: 'plant-7' }, '5.0.0');
    const started = await http()
      .post('/api/v1/rollouts')
      .set(as(admin))
      .send({ releaseId: r.releaseId, clientIds: ['ro-fits', 'ro-lacks', 'ro-ahead'] });
    expect(started.status).toBe(202);
    const { rolloutId } = started.body as { rolloutId: string };
    const [first] = await api.app
      .get<EventStore>(EVENT_STORE)
      .readStream(rolloutStream(tenant, rolloutId));
    expect(first.data).toMatchObject({
      targetVersion: '4.0.0',
      imageDigest: digest('77'),
      release: { releaseId: r.releaseId, constraints: { site: 'plant-7' } },
    });

    const entries = await eventually(async () => {
      const page = await http().get(`/api/v1/rollouts/${rolloutId}/clients`).set(as(auditor));
      const items = page.body.items as Array<{
        clientId: string;
        state: string;
        skipped?: { code: string };
      }>;
      return items.every((item) => item.state !== 'pending') && items;
    }, 10_000);
    expect(entries.map((e) => [e.clientId, e.state, e.skipped?.code])).toEqual([
      ['ro-fits', 'in_flight', undefined],
      ['ro-lacks', 'skipped', 'release_constraints_not_met'],
      ['ro-ahead', 'skipped', 'downgrade_refused'],
    ]);
    const fits = await http().get('/api/v1/clients/ro-fits').set(as(auditor));
    const job = await http().get(`/api/v1/jobs/${fits.body.updateJobId}`).set(as(auditor));
    expect(job.body).toMatchObject({ releaseId: r.releaseId, imageDigest: digest('77') });
  });

  it('opens no more jobs once its release is withdrawn: the clients left are skipped', async () => {
    const r = await registerRelease(release('4.2.0'));
    await registerClient('ro-w1', { site: 'plant-7' }, '3.0.0');
    await registerClient('ro-w2', { site: 'plant-7' }, '3.0.0');
    const started = await http()
      .post('/api/v1/rollouts')
      .set(as(admin))
      .send({ releaseId: r.releaseId, clientIds: ['ro-w1', 'ro-w2'], batchSize: 1 });
    expect(started.status).toBe(202);
    const { rolloutId } = started.body as { rolloutId: string };
    const entries = () =>
      http()
        .get(`/api/v1/rollouts/${rolloutId}/clients`)
        .set(as(auditor))
        .then(
          (page) =>
            page.body.items as Array<{
              clientId: string;
              state: string;
              skipped?: { code: string };
            }>,
        );
    await eventually(async () => (await entries())[0].state === 'in_flight', 10_000);
    await http()
      .post(`/api/v1/releases/${r.releaseId}/withdraw`)
      .set(as(admin))
      .send({ reason: 'recalled mid-rollout' });
    const jobId = (await http().get('/api/v1/clients/ro-w1').set(as(auditor))).body.updateJobId;
    await ingest({ jobId, clientId: 'ro-w1', seq: 1, phase: 'committed', version: '4.2.0' });
    const settled = await eventually(async () => {
      const items = await entries();
      return items.every((item) => item.state !== 'pending' && item.state !== 'in_flight') && items;
    }, 10_000);
    expect(settled.map((e) => [e.clientId, e.state, e.skipped?.code])).toEqual([
      ['ro-w1', 'succeeded', undefined],
      ['ro-w2', 'skipped', 'release_withdrawn'],
    ]);
  });

  it('refuses to start by a withdrawn or unknown release, and takes one way only', async () => {
    const r = await registerRelease(release('4.1.0'));
    await http()
      .post(`/api/v1/releases/${r.releaseId}/withdraw`)
      .set(as(admin))
      .send({ reason: 'recalled' });
    const withdrawn = await http()
      .post('/api/v1/rollouts')
      .set(as(admin))
      .send({ releaseId: r.releaseId, clientIds: ['ro-fits'] });
    expect(withdrawn.status).toBe(409);
    expect(withdrawn.body.error).toBe('release_withdrawn');
    const unknown = await http()
      .post('/api/v1/rollouts')
      .set(as(admin))
      .send({ releaseId: randomUUID(), clientIds: ['ro-fits'] });
    expect(unknown.status).toBe(404);
    const both = await http()
      .post('/api/v1/rollouts')
      .set(as(admin))
      .send({ releaseId: r.releaseId, targetVersion: '4.1.0', clientIds: ['ro-fits'] });
    expect(both.status).toBe(400);
    expect(both.body.fieldErrors.map((e: { path: string }) => e.path)).toContain('releaseId');
  });
});
