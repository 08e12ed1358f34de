import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { ApiApp, token } from '../support/api-app';
import { eventually } from '../support/memory-logger';

/**
 * Job time-outs do not depend on the broker: a service started without MQTT_URL dispatches
 * nothing, so a job it opens hears nothing back, and it must still end (TimedOut) and free its
 * client for the next update.
 */
let api: ApiApp;
let admin: string;
const tenant = `nb-${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  api = await ApiApp.start({
    env: { JOB_REPORT_TIMEOUT_SECONDS: '1', JOB_TIMEOUT_SWEEP_SECONDS: '0.2' },
  });
  admin = await token(tenant, ['admin']);
});
afterAll(() => api?.stop());

it('times out a job that heard nothing, with no broker configured, and frees its client', async () => {
  const http = () => request(api.server);
  const auth = { Authorization: `Bearer ${admin}` };
  await http().post('/api/v1/clients').set(auth).send({ clientId: 'press-1', version: '1.0.0' });
  const update = { targetVersion: '2.0.0', image: 'registry.example.com/opc-core:2.0.0' };
  const { body } = await http()
    .post('/api/v1/clients/press-1/update')
    .set(auth)
    .send(update)
    .expect(202);
  const jobId = body.jobId as string;

  const job = await eventually(async () => {
    const { body: current } = await http().get(`/api/v1/jobs/${jobId}`).set(auth).expect(200);
    return current.status === 'TimedOut' ? current : undefined;
  }, 20_000);
  expect(job).toMatchObject({ jobId, status: 'TimedOut', finishedAt: expect.any(String) });
  const { body: events } = await http().get(`/api/v1/jobs/${jobId}/events`).set(auth).expect(200);
  expect(events.map((event: { type: string }) => event.type)).toEqual([
    'UpdateRequested',
    'UpdateTimedOut',
  ]);
  expect(api.logs.some((line) => line.msg === 'job report deadline passed')).toBe(true);
  expect(api.logs.some((line) => line.msg === 'quiet job nudged: its command sent again')).toBe(
    false,
  );
  // The client is free again: its next update is taken.
  await http().post('/api/v1/clients/press-1/update').set(auth).send(update).expect(202);
});
