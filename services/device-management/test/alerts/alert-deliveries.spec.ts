import { CommandBus } from '@nestjs/cqrs';
import {
  STATE_SUMMARY_SCHEMA,
  STATUS_REPORT_SCHEMA,
  type StateSummary,
  type StatusReport,
} from '@opcfleet/contracts';
import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { AlertWorker } from '../../src/alerts/alert-worker';
import { RecordDeviceState } from '../../src/clients/device-state/record-device-state.command';
import { RecordClientPresence } from '../../src/clients/record-presence/record-presence.command';
import { IngestStatusReport } from '../../src/jobs/ingestion/ingest-status-report.command';
import { ApiApp, token } from '../support/api-app';
import { eventually } from '../support/memory-logger';

/**
 * Webhook alerts on real PostgreSQL: a job fails (its device reports `failed`), and the
 * tenant's subscribed receivers, started here on 127.0.0.1, get a signed delivery; a receiver
 * answering 500 gets it again after a short back-off; one that is down only costs retries and a
 * logged failure, never the job flow; another tenant's receiver gets nothing.
 */
let api: ApiApp;
const http = () => request(api.server);
const as = (jwt: string) => ({ Authorization: `Bearer ${jwt}` });

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver: records what it gets, answers with `statusOf(n)` for the n-th request. */
async function receiver(statusOf: (n: number) => number = () => 200) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.statusCode = statusOf(received.length);
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return {
    url,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const receivers: Array<{ close(): Promise<void> }> = [];
async function started(statusOf?: (n: number) => number) {
  const r = await receiver(statusOf);
  receivers.push(r);
  return r;
}

beforeAll(async () => {
  api = await ApiApp.start({
    env: {
      ALERT_WEBHOOK_ALLOW_INSECURE: 'true',
      ALERT_RETRY_INITIAL_SECONDS: '0.2',
      ALERT_RETRY_MAX_SECONDS: '0.4',
      ALERT_DELIVERY_MAX_ATTEMPTS: '3',
      ALERT_SENDER_POLL_SECONDS: '0.1',
      ALERT_WEBHOOK_TIMEOUT_SECONDS: '1',
    },
  });
});
afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  await api?.stop();
});

/** A tenant of its own for each story, with an admin token. */
async function tenantWithAdmin() {
  const tenant = `al-${randomUUID().slice(0, 8)}`;
  return { tenant, admin: await token(tenant, ['admin']) };
}

async function subscribe(admin: string, url: string, kinds = ['job.failed']) {
  const { body } = await http()
    .post('/api/v1/alerts/subscriptions')
    .set(as(admin))
    .send({ url, kinds })
    .expect(201);
  return body as { subscriptionId: string; secret: string };
}

/** Registers a client, requests its update and has its device report `failed`. */
async function failingJob(tenant: string, admin: string, clientId = 'press-1') {
  await http()
    .post('/api/v1/clients')
    .set(as(admin))
    .send({ clientId, version: '1.0.0' })
    .expect(201);
  const { body } = await http()
    .post(`/api/v1/clients/${clientId}/update`)
    .set(as(admin))
    .send({ targetVersion: '2.0.0', image: 'registry.example.com/opc-core:2.0.0' })
    .expect(202);
  const jobId = body.jobId as string;
  await reportFailed(tenant, clientId, jobId);
  return jobId;
}

/** The device of `clientId` reports that job `jobId` failed. */
async function reportFailed(tenant: string, clientId: string, jobId: string) {
  const report = {
    schema: STATUS_REPORT_SCHEMA,
    messageId: randomUUID(),
    tenantId: tenant,
    clientId,
    correlationId: 'device-corr',
    jobId,
    seq: 1,
    at: new Date().toISOString(),
    jobKind: 'update',
    phase: 'failed',
    error: { code: 'pull_failed', message: 'manifest unknown' },
  } as StatusReport;
  await api.app
    .get(CommandBus)
    .execute(new IngestStatusReport({ report, topicTenantId: tenant, topicClientId: clientId }));
}

const deliveriesOf = async (jwt: string, query = '') =>
  (await http().get(`/api/v1/alerts/deliveries${query}`).set(as(jwt)).expect(200)).body as {
    items: Array<Record<string, unknown>>;
    nextCursor?: string;
  };

it('delivers a signed alert when a job fails, and nothing to another tenant', async () => {
  const a = await tenantWithAdmin();
  const b = await tenantWithAdmin();
  const hookA = await started();
  const hookB = await started();
  const subA = await subscribe(a.admin, hookA.url);
  await subscribe(b.admin, hookB.url, ['job.failed', 'job.timed_out', 'rollout.halted']);

  const jobId = await failingJob(a.tenant, a.admin);

  const [delivery] = await eventually(() => hookA.received.length > 0 && hookA.received, 10_000);
  // The receiver's own check: HMAC-SHA256 of "<t>.<raw body>" with the secret it was given.
  const signature = String(delivery.headers['opcfleet-signature']);
  const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(signature)!;
  expect(v1).toBe(createHmac('sha256', subA.secret).update(`${t}.${delivery.body}`).digest('hex'));
  expect(Math.abs(Date.now() / 1000 - Number(t))).toBeLessThan(60);
  const body = JSON.parse(delivery.body);
  expect(body).toMatchObject({
    subscriptionId: subA.subscriptionId,
    tenantId: a.tenant,
    kind: 'job.failed',
    subject: { jobId, jobKind: 'update', clientId: 'press-1' },
    event: { type: 'UpdateFailed', data: expect.objectContaining({ code: 'pull_failed' }) },
  });
  expect(delivery.headers['opcfleet-delivery-id']).toBe(body.deliveryId);
  expect(delivery.headers['content-type']).toBe('application/json');

  const log = await eventually(async () => {
    const page = await deliveriesOf(a.admin);
    return page.items[0]?.status === 'succeeded' && page;
  });
  expect(log.items).toEqual([
    expect.objectContaining({
      deliveryId: body.deliveryId,
      subscriptionId: subA.subscriptionId,
      kind: 'job.failed',
      eventType: 'UpdateFailed',
      status: 'succeeded',
      attempts: 1,
      lastStatusCode: 200,
    }),
  ]);
  // Auditors read the log too; the other tenant sees none of it, and its receiver got nothing.
  expect((await deliveriesOf(await token(a.tenant, ['auditor']))).items).toHaveLength(1);
  await api.app.get(AlertWorker).caughtUp();
  expect((await deliveriesOf(b.admin)).items).toEqual([]);
  expect(hookB.received).toEqual([]);
});

it('delivers a rollout halted by a failed job, to a subscription of that kind only', async () => {
  const { tenant, admin } = await tenantWithAdmin();
  const hook = await started();
  const sub = await subscribe(admin, hook.url, ['rollout.halted']);
  await http()
    .post('/api/v1/clients')
    .set(as(admin))
    .send({ clientId: 'line-1', version: '1.0.0' })
    .expect(201);
  const { body: started_ } = await http()
    .post('/api/v1/rollouts')
    .set(as(admin))
    .send({
      clientIds: ['line-1'],
      targetVersion: '2.0.0',
      image: 'registry.example.com/opc-core:2.0.0',
    })
    .expect(202);
  const rolloutId = started_.rolloutId as string;
  const jobId = await eventually(async () => {
    const { body } = await http().get('/api/v1/clients/line-1').set(as(admin)).expect(200);
    return body.updateJobId as string | undefined;
  }, 10_000);
  // maxFailures 0 (the default): the first failure halts the rollout.
  await reportFailed(tenant, 'line-1', jobId);

  const [delivery] = await eventually(() => hook.received.length > 0 && hook.received, 10_000);
  expect(JSON.parse(delivery.body)).toMatchObject({
    subscriptionId: sub.subscriptionId,
    tenantId: tenant,
    kind: 'rollout.halted',
    subject: { rolloutId },
    event: { type: 'RolloutHalted', data: expect.objectContaining({ rolloutId, failures: 1 }) },
  });
  // The job's own failure is not a kind this subscription asked for.
  await api.app.get(AlertWorker).caughtUp();
  const log = await deliveriesOf(admin);
  expect(log.items.map((item) => item.kind)).toEqual(['rollout.halted']);
});

it('alerts a client offline longer than the minutes of a subscription, once per offline period', async () => {
  const { tenant, admin } = await tenantWithAdmin();
  const hook = await started();
  const { body: sub } = await http()
    .post('/api/v1/alerts/subscriptions')
    .set(as(admin))
    .send({ url: hook.url, kinds: ['client.offline'], offlineMinutes: 15 })
    .expect(201);
  expect(sub.offlineMinutes).toBe(15);
  const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000);
  const presence = (clientId: string, status: 'online' | 'offline', at: Date) =>
    api.app
      .get(CommandBus)
      .execute(new RecordClientPresence({ tenantId: tenant, clientId, status, at }));
  for (const clientId of ['gone-1', 'brief-1', 'here-1']) {
    await http().post('/api/v1/clients').set(as(admin)).send({ clientId, version: '1.0.0' });
    await presence(clientId, 'online', minutesAgo(60));
  }
  await presence('gone-1', 'offline', minutesAgo(20)); // past 15 minutes: alerted
  await presence('brief-1', 'offline', minutesAgo(5)); // not yet

  const [delivery] = await eventually(() => hook.received.length > 0 && hook.received, 10_000);
  expect(JSON.parse(delivery.body)).toMatchObject({
    subscriptionId: sub.subscriptionId,
    kind: 'client.offline',
    subject: { clientId: 'gone-1' },
    event: { type: 'ClientOffline', data: { clientId: 'gone-1', offlineMinutes: 15 } },
  });
  // Several sweeps later: still that one alert (the same offline period is not alerted again).
  await new Promise((resolve) => setTimeout(resolve, 600));
  expect(hook.received).toHaveLength(1);
  // Back online, then offline again long enough: a new period, a new alert.
  await presence('gone-1', 'online', minutesAgo(19));
  await presence('gone-1', 'offline', minutesAgo(18));
  await eventually(() => hook.received.length === 2, 10_000);
  expect(
    hook.received.map((r) => (JSON.parse(r.body) as { subject: { clientId: string } }).subject),
  ).toEqual([{ clientId: 'gone-1' }, { clientId: 'gone-1' }]);
});

/** An agent's state summary: a running 1.0.0 workload, no job, and `extra`. */
const summaryOf = (
  tenantId: string,
  clientId: string,
  extra: Partial<StateSummary>,
): StateSummary => ({
  schema: STATE_SUMMARY_SCHEMA,
  tenantId,
  clientId,
  at: new Date().toISOString(),
  agentVersion: '1.4.0',
  workload: { version: '1.0.0', running: true },
  currentJob: null,
  ...extra,
});
const record = (state: StateSummary) =>
  api.app.get(CommandBus).execute(new RecordDeviceState(state, new Date()));

it("alerts a device's workload down once per problem, and a clock skewed past the limit", async () => {
  const { tenant, admin } = await tenantWithAdmin();
  const hook = await started();
  await subscribe(admin, hook.url, ['device.workload_down', 'device.clock_skew']);
  const summary = (clientId: string, extra: Partial<StateSummary>) =>
    summaryOf(tenant, clientId, { clockSkewSeconds: 2, ...extra });
  for (const clientId of ['pump-1', 'pump-2', 'pump-3']) {
    await http().post('/api/v1/clients').set(as(admin)).send({ clientId, version: '1.0.0' });
  }
  const problem = {
    code: 'exited' as const,
    message: 'container exited with code 137',
    since: new Date(Date.now() - 60_000).toISOString(),
  };
  await record(summary('pump-1', { workload: { running: false, problem } }));
  await record(summary('pump-2', { clockSkewSeconds: -600 })); // ALERT_CLOCK_SKEW_SECONDS 120
  await record(summary('pump-3', {})); // healthy

  await eventually(() => hook.received.length >= 2, 10_000);
  await new Promise((resolve) => setTimeout(resolve, 600));
  // A later summary with the same problem: the same problem, not alerted again.
  await record(summary('pump-1', { workload: { running: false, problem } }));
  await new Promise((resolve) => setTimeout(resolve, 600));
  const bodies = hook.received
    .map(
      (r) =>
        JSON.parse(r.body) as {
          kind: string;
          subject: { clientId: string };
          event: { data: Record<string, unknown> };
        },
    )
    .sort((a, b) => a.kind.localeCompare(b.kind));
  expect(bodies).toEqual([
    expect.objectContaining({
      kind: 'device.clock_skew',
      subject: { clientId: 'pump-2' },
      event: expect.objectContaining({
        type: 'DeviceClockSkew',
        data: expect.objectContaining({ clockSkewSeconds: -600 }),
      }),
    }),
    expect.objectContaining({
      kind: 'device.workload_down',
      subject: { clientId: 'pump-1' },
      event: expect.objectContaining({
        type: 'DeviceWorkloadDown',
        data: expect.objectContaining({ problem }),
      }),
    }),
  ]);
  // The log a page at a time: two pages of one, newest first, then no cursor.
  const first = await deliveriesOf(admin, '?limit=1');
  expect(first.items).toHaveLength(1);
  const second = await deliveriesOf(admin, `?limit=1&cursor=${first.nextCursor!}`);
  expect(second.items).toHaveLength(1);
  expect(second.nextCursor).toBeUndefined();
  expect(new Set([first.items[0].kind, second.items[0].kind])).toEqual(
    new Set(['device.workload_down', 'device.clock_skew']),
  );
  expect(String(first.items[0].createdAt) >= String(second.items[0].createdAt)).toBe(true);
});

it('alerts a device whose engine is short of disk for images, once while it lasts', async () => {
  const { tenant, admin } = await tenantWithAdmin();
  const hook = await started();
  await subscribe(admin, hook.url, ['device.disk_low']);
  const summary = (clientId: string, freeDiskBytes: number) =>
    summaryOf(tenant, clientId, { freeDiskBytes });
  for (const clientId of ['disk-1', 'disk-2']) {
    await http().post('/api/v1/clients').set(as(admin)).send({ clientId, version: '1.0.0' });
  }
  // ALERT_DISK_LOW_BYTES is 2 GiB by default.
  await record(summary('disk-1', 300 * 1024 ** 2));
  await record(summary('disk-2', 40 * 1024 ** 3));
  await eventually(() => hook.received.length >= 1, 10_000);
  // Still short a moment later: the same day's condition, not alerted again.
  await record(summary('disk-1', 290 * 1024 ** 2));
  await new Promise((resolve) => setTimeout(resolve, 600));
  expect(hook.received.map((r) => JSON.parse(r.body))).toEqual([
    expect.objectContaining({
      kind: 'device.disk_low',
      subject: { clientId: 'disk-1' },
      event: expect.objectContaining({
        type: 'DeviceDiskLow',
        data: expect.objectContaining({ freeDiskBytes: 300 * 1024 ** 2 }),
      }),
    }),
  ]);
});

it('tries again after a 500, and the third attempt gets through', async () => {
  const { tenant, admin } = await tenantWithAdmin();
  const hook = await started((n) => (n <= 2 ? 500 : 200));
  const sub = await subscribe(admin, hook.url);
  await failingJob(tenant, admin);

  const page = await eventually(async () => {
    const log = await deliveriesOf(admin, `?subscriptionId=${sub.subscriptionId}`);
    return log.items[0]?.status === 'succeeded' && log;
  }, 10_000);
  expect(page.items[0]).toMatchObject({ status: 'succeeded', attempts: 3, lastStatusCode: 200 });
  expect(hook.received).toHaveLength(3);
  // The same delivery each time (the receiver dedupes by its id), signed anew each time.
  expect(new Set(hook.received.map((r) => r.headers['opcfleet-delivery-id'])).size).toBe(1);
  expect(new Set(hook.received.map((r) => r.body)).size).toBe(1);
});

it('with the receiver down, only retries and logs the failure; the job flow goes on', async () => {
  const { tenant, admin } = await tenantWithAdmin();
  const down = await receiver();
  await down.close();
  const sub = await subscribe(admin, down.url);
  const jobId = await failingJob(tenant, admin);

  const job = (await http().get(`/api/v1/jobs/${jobId}`).set(as(admin)).expect(200)).body;
  expect(job.status).toBe('Failed');
  // The client is free again at once: its next update is taken while the alert is retried.
  await http()
    .post('/api/v1/clients/press-1/update')
    .set(as(admin))
    .send({ targetVersion: '2.0.1', image: 'registry.example.com/opc-core:2.0.1' })
    .expect(202);

  const page = await eventually(async () => {
    const log = await deliveriesOf(admin, '?status=failed');
    return log.items.length > 0 && log;
  }, 10_000);
  expect(page.items[0]).toMatchObject({
    subscriptionId: sub.subscriptionId,
    status: 'failed',
    attempts: 3,
    lastError: expect.stringMatching(/ECONNREFUSED|connect/),
  });
  expect(page.items[0].lastStatusCode).toBeUndefined();
  expect(
    api.logs.filter(
      (line) =>
        line.msg === 'alert delivery failed for good' && line.subscriptionId === sub.subscriptionId,
    ),
  ).toHaveLength(1);
  expect(
    api.logs.filter(
      (line) =>
        line.msg === 'alert delivery failed; retrying' &&
        line.subscriptionId === sub.subscriptionId,
    ),
  ).toHaveLength(2);
  expect((await deliveriesOf(admin, '?status=pending')).items).toEqual([]);
});

it('deletes the deliveries that ended before the retention, and keeps the recent and the pending', async () => {
  const { tenant, admin } = await tenantWithAdmin();
  const hook = await started();
  await subscribe(admin, hook.url);
  await failingJob(tenant, admin, 'press-old');
  await failingJob(tenant, admin, 'press-new');
  await eventually(async () => {
    const { items } = await deliveriesOf(admin);
    return items.length === 2 && items.every((d) => d.status === 'succeeded');
  });
  const [newer, older] = (await deliveriesOf(admin)).items;
  // Ended 31 days ago, as far as the log knows; and one that never ended, as old.
  const dataSource = api.app.get(DataSource);
  await dataSource.query(
    `UPDATE read_models.alert_deliveries SET updated_at = now() - interval '31 days'
      WHERE delivery_id = $1`,
    [older.deliveryId],
  );
  await dataSource.query(
    `UPDATE read_models.alert_deliveries
        SET status = 'pending', next_attempt_at = now() + interval '1 day',
            updated_at = now() - interval '31 days'
      WHERE delivery_id = $1`,
    [newer.deliveryId],
  );

  const deleted = await api.app.get(AlertWorker).pruneEndedDeliveries();

  expect(deleted).toBeGreaterThanOrEqual(1);
  const { items } = await deliveriesOf(admin);
  expect(items.map((d) => d.deliveryId)).toEqual([newer.deliveryId]);
});

describe('the routes', () => {
  it('answer 401 without a token and 403 to roles that may not', async () => {
    const { tenant } = await tenantWithAdmin();
    await http().get('/api/v1/alerts/subscriptions').expect(401);
    await http().get('/api/v1/alerts/deliveries').expect(401);
    const operator = await token(tenant, ['operator']);
    const auditor = await token(tenant, ['auditor']);
    const body = { url: 'http://127.0.0.1:9/hook', kinds: ['job.failed'] };
    await http().post('/api/v1/alerts/subscriptions').set(as(operator)).send(body).expect(403);
    await http().post('/api/v1/alerts/subscriptions').set(as(auditor)).send(body).expect(403);
    await http().get('/api/v1/alerts/subscriptions').set(as(auditor)).expect(403);
    await http()
      .delete(`/api/v1/alerts/subscriptions/${randomUUID()}`)
      .set(as(operator))
      .expect(403);
    await http().get('/api/v1/alerts/deliveries').set(as(operator)).expect(403);
    await http().get('/api/v1/alerts/deliveries').set(as(auditor)).expect(200);
  });

  it('answer 400 to what they cannot take', async () => {
    const { admin } = await tenantWithAdmin();
    const refused = async (send: unknown, path: string) => {
      const response = await http()
        .post('/api/v1/alerts/subscriptions')
        .set(as(admin))
        .send(send as object)
        .expect(400);
      expect(response.body.fieldErrors).toEqual(
        expect.arrayContaining([expect.objectContaining({ path })]),
      );
    };
    for (const url of [
      'ftp://127.0.0.1/hook',
      'http://alerts.example.com/hook',
      'https://user:secret@alerts.example.com/hook',
      'https://169.254.169.254/latest/meta-data',
      'not a url',
    ]) {
      await refused({ url, kinds: ['job.failed'] }, 'url');
    }
    await refused({ url: 'https://alerts.example.com/', kinds: [] }, 'kinds');
    await refused({ url: 'https://alerts.example.com/', kinds: ['job.exploded'] }, 'kinds');
    await refused(
      { url: 'https://alerts.example.com/', kinds: ['job.failed', 'job.failed'] },
      'kinds',
    );
    for (const offlineMinutes of [0, 2.5, 10081, '10']) {
      await refused(
        { url: 'https://alerts.example.com/', kinds: ['client.offline'], offlineMinutes },
        'offlineMinutes',
      );
    }
    await http().delete('/api/v1/alerts/subscriptions/not-a-uuid').set(as(admin)).expect(400);
    await http().get('/api/v1/alerts/deliveries?status=lost').set(as(admin)).expect(400);
    await http().get('/api/v1/alerts/deliveries?subscriptionId=x').set(as(admin)).expect(400);
    await http().get('/api/v1/alerts/deliveries?cursor=bm9wZQ').set(as(admin)).expect(400);
    await http().get('/api/v1/alerts/deliveries?limit=501').set(as(admin)).expect(400);
  });

  it('keep each tenant to its own subscriptions, show the secret once, and delete (404 after)', async () => {
    const a = await tenantWithAdmin();
    const b = await tenantWithAdmin();
    const created = await subscribe(a.admin, 'https://alerts.example.com/a', ['rollout.halted']);
    expect(created.secret).toMatch(/^whsec_/);
    const listed = (await http().get('/api/v1/alerts/subscriptions').set(as(a.admin)).expect(200))
      .body;
    expect(listed.items).toEqual([
      expect.objectContaining({
        subscriptionId: created.subscriptionId,
        url: 'https://alerts.example.com/a',
        kinds: ['rollout.halted'],
      }),
    ]);
    expect(listed.items[0].secret).toBeUndefined();
    expect(
      (await http().get('/api/v1/alerts/subscriptions').set(as(b.admin)).expect(200)).body.items,
    ).toEqual([]);
    await http()
      .delete(`/api/v1/alerts/subscriptions/${created.subscriptionId}`)
      .set(as(b.admin))
      .expect(404);
    await http()
      .delete(`/api/v1/alerts/subscriptions/${created.subscriptionId}`)
      .set(as(a.admin))
      .expect(204);
    await http()
      .delete(`/api/v1/alerts/subscriptions/${created.subscriptionId}`)
      .set(as(a.admin))
      .expect(404);
    expect(
      (await http().get('/api/v1/alerts/subscriptions').set(as(a.admin)).expect(200)).body.items,
    ).toEqual([]);
  });
});
