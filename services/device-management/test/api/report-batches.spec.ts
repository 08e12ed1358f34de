import { CommandBus } from '@nestjs/cqrs';
import { STATUS_REPORT_SCHEMA, type StatusReport } from '@opcfleet/contracts';
import type { EventStore } from '@opcfleet/event-store';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { RecordClientPresence } from '../../src/clients/record-presence/record-presence.command';
import { EVENT_STORE } from '../../src/event-sourcing/event-store.token';
import { EventStreams } from '../../src/event-sourcing/event-streams';
import { JobBatchWriter } from '../../src/jobs/job-batch/job-batch.writer';
import { ApiApp, token } from '../support/api-app';
import { clientStream, updateJobStream } from '../../src/shared/domain/stream-names';

/** Group commit against PostgreSQL: one batch, every report answered as if it came alone. */
let api: ApiApp;
let admin: string;
const tenant = `b-${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  api = await ApiApp.start();
  admin = await token(tenant, ['admin']);
});
afterAll(() => api?.stop());

async function startUpdate(clientId: string): Promise<string> {
  const http = () => request(api.server);
  const auth = { Authorization: `Bearer ${admin}` };
  await http().post('/api/v1/clients').set(auth).send({ clientId, version: '2.0.0' }).expect(201);
  const response = await http()
    .post(`/api/v1/clients/${clientId}/update`)
    .set(auth)
    .send({ targetVersion: '2.1.0', image: 'registry.example.com/opc-core:2.1.0' })
    .expect(202);
  return response.body.jobId as string;
}

function report(jobId: string, clientId: string, seq: number, phase: string) {
  const body = {
    schema: STATUS_REPORT_SCHEMA,
    messageId: randomUUID(),
    tenantId: tenant,
    clientId,
    correlationId: `corr-${clientId}`,
    jobId,
    seq,
    at: new Date(Date.UTC(2026, 10, 23, 10, 0, seq)).toISOString(),
    jobKind: 'update',
    phase,
    ...(phase === 'committed' ? { version: '2.1.0' } : {}),
  } as StatusReport;
  return { report: body, topicTenantId: tenant, topicClientId: clientId };
}

const store = () => api.app.get<EventStore>(EVENT_STORE);
const writer = () => api.app.get(JobBatchWriter);
const types = async (stream: string) =>
  (await store().readStream(stream)).map((event) => event.type);

it('stores a batch with a duplicate, a moved stream and a job end, each report answered', async () => {
  const [first, moved, ending] = ['line-1', 'line-2', 'line-3'];
  const [firstJob, movedJob, endingJob] = await Promise.all([
    startUpdate(first),
    startUpdate(moved),
    startUpdate(ending),
  ]);
  // The writer caches line-2's job; then another replica's writer records a publish behind
  // its back.
  await writer().write([report(movedJob, moved, 1, 'received')]);
  await new JobBatchWriter(api.app.get(EventStreams)).recordDispatch({
    dispatch: {
      jobKind: 'update',
      tenantId: tenant,
      jobId: movedJob,
      messageId: randomUUID(),
      topic: `tenants/${tenant}/clients/${moved}/commands/update`,
      at: new Date().toISOString(),
    },
  });
  const committed = report(endingJob, ending, 2, 'committed');
  const reads = jest.spyOn(store(), 'readStreams');

  const answers = await writer().write([
    report(firstJob, first, 1, 'received'),
    report(firstJob, first, 1, 'received'),
    report(movedJob, moved, 2, 'pulling'),
    report(endingJob, ending, 1, 'received'),
    committed,
  ]);

  expect(answers).toEqual([
    { outcome: 'applied', eventType: 'UpdateReceived' },
    { outcome: 'duplicate' },
    { outcome: 'applied', eventType: 'UpdatePhaseReported' },
    { outcome: 'applied', eventType: 'UpdateReceived' },
    { outcome: 'applied', eventType: 'UpdateSucceeded' },
  ]);
  // line-2's cached state was behind: its append failed, its stream was read again.
  expect(reads.mock.calls.flatMap(([names]) => names)).toContain(updateJobStream(tenant, movedJob));
  reads.mockRestore();
  expect(await types(updateJobStream(tenant, firstJob))).toEqual([
    'UpdateRequested',
    'UpdateReceived',
  ]);
  expect(await types(updateJobStream(tenant, movedJob))).toEqual([
    'UpdateRequested',
    'UpdateReceived',
    'UpdateCommandDispatched',
    'UpdatePhaseReported',
  ]);
  // The job's end freed its client in the same commit, caused by the final report.
  const clientEvents = await store().readStream(clientStream(tenant, ending));
  expect(clientEvents.map((event) => event.type)).toEqual([
    'ClientRegistered',
    'ClientUpdateStarted',
    'ClientUpdateEnded',
  ]);
  expect(clientEvents[2].metadata).toEqual({
    actor: `device:${ending}`,
    tenantId: tenant,
    correlationId: `corr-${ending}`,
    causationId: committed.report.messageId,
  });
  // Read your writes: the rows were written with the events.
  const dataSource = api.app.get(DataSource);
  const jobs = await dataSource.query(
    `SELECT job_id, status, phase, stream_revision FROM read_models.jobs WHERE job_id = ANY($1)
      ORDER BY stream_revision`,
    [[firstJob, movedJob, endingJob]],
  );
  expect(jobs).toEqual([
    { job_id: firstJob, status: 'InProgress', phase: 'received', stream_revision: 1 },
    { job_id: endingJob, status: 'Succeeded', phase: 'committed', stream_revision: 2 },
    { job_id: movedJob, status: 'InProgress', phase: 'pulling', stream_revision: 3 },
  ]);
  const [client] = await dataSource.query(
    `SELECT status, update_job_id, reported_version, last_seen_at FROM read_models.clients
      WHERE tenant_id = $1 AND client_id = $2`,
    [tenant, ending],
  );
  expect(client).toEqual({
    status: 'Online',
    update_job_id: null,
    reported_version: '2.1.0',
    last_seen_at: new Date(committed.report.at),
  });
});

it('answers a report seen in an earlier batch as duplicate, and one after the end as ignored', async () => {
  const clientId = 'line-4';
  const jobId = await startUpdate(clientId);
  const received = report(jobId, clientId, 1, 'received');
  await writer().write([received, report(jobId, clientId, 2, 'committed')]);

  const answers = await writer().write([received, report(jobId, clientId, 3, 'pulling')]);

  expect(answers).toEqual([{ outcome: 'duplicate' }, { outcome: 'ignored', reason: 'job_final' }]);
  expect(await types(updateJobStream(tenant, jobId))).toEqual([
    'UpdateRequested',
    'UpdateReceived',
    'UpdateSucceeded',
    'StatusReportIgnored',
  ]);
});

it('runs a round again when the client stream of a job end moved meanwhile: nothing lost, nothing twice', async () => {
  const clientId = 'line-5';
  const jobId = await startUpdate(clientId);
  await writer().write([report(jobId, clientId, 1, 'received')]);
  // The client goes offline between the read of its stream and the batch's transaction.
  const readStreams = store().readStreams.bind(store());
  const reads = jest.spyOn(store(), 'readStreams');
  let moved = false;
  reads.mockImplementation(async (names) => {
    const streams = await readStreams(names);
    if (!moved && names.includes(clientStream(tenant, clientId))) {
      moved = true;
      await api.app.get(CommandBus).execute(
        new RecordClientPresence({
          tenantId: tenant,
          clientId,
          status: 'offline',
          at: new Date(),
        }),
      );
    }
    return streams;
  });

  const answers = await writer().write([report(jobId, clientId, 2, 'committed')]);
  reads.mockRestore();

  expect(moved).toBe(true);
  expect(answers).toEqual([{ outcome: 'applied', eventType: 'UpdateSucceeded' }]);
  expect(await types(updateJobStream(tenant, jobId))).toEqual([
    'UpdateRequested',
    'UpdateReceived',
    'UpdateSucceeded',
  ]);
  expect(await types(clientStream(tenant, clientId))).toEqual([
    'ClientRegistered',
    'ClientUpdateStarted',
    'ClientPresenceChanged',
    'ClientUpdateEnded',
  ]);
});
