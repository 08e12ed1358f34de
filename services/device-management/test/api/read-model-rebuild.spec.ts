import { CommandBus } from '@nestjs/cqrs';
import { STATUS_REPORT_SCHEMA, type StatusReport } from '@opcfleet/contracts';
import type { EventStore } from '@opcfleet/event-store';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { EVENT_STORE } from '../../src/event-sourcing/event-store.token';
import { IngestStatusReport } from '../../src/jobs/ingestion/ingest-status-report.command';
import { READ_MODEL_SCHEMA } from '../../src/read-models/read-model.entities';
import { ReadModelProjection } from '../../src/read-models/read-model.projection';
import { rebuildReadModels } from '../../src/read-models/rebuild/rebuild-read-models';
import { RolloutDriver } from '../../src/rollouts/rollout-driver';
import { ApiApp, token } from '../support/api-app';
import { memoryLogger } from '../support/memory-logger';

describe('read model rebuild', () => {
  let api: ApiApp;
  beforeAll(async () => {
    api = await ApiApp.start();
  });
  afterAll(() => api?.stop());

  const rows = async (dataSource: DataSource) => ({
    clients: await dataSource.query(
      `SELECT * FROM ${READ_MODEL_SCHEMA}.clients ORDER BY tenant_id, client_id`,
    ),
    jobs: await dataSource.query(`SELECT * FROM ${READ_MODEL_SCHEMA}.jobs ORDER BY job_id`),
    rollouts: await dataSource.query(
      `SELECT * FROM ${READ_MODEL_SCHEMA}.rollouts ORDER BY rollout_id`,
    ),
    rolloutClients: await dataSource.query(
      `SELECT * FROM ${READ_MODEL_SCHEMA}.rollout_clients ORDER BY rollout_id, position`,
    ),
  });

  it('drops the tables and ends with the same rows from position 0', async () => {
    const admin = await token('rebuild', ['admin']);
    const http = () => request(api.server);
    const auth = { Authorization: `Bearer ${admin}` };
    for (const clientId of ['r-1', 'r-2', 'r-3']) {
      await http()
        .post('/api/v1/clients')
        .set(auth)
        .send({ clientId, labels: { zone: clientId }, version: '1.0.0' });
    }
    const { jobId } = (
      await http()
        .post('/api/v1/clients/r-1/update')
        .set(auth)
        .send({ targetVersion: '1.1.0', image: 'registry.example.com/opc:1.1.0' })
    ).body;
    const cancelled = (
      await http()
        .post('/api/v1/clients/r-2/update')
        .set(auth)
        .send({ targetVersion: '1.1.0', image: 'registry.example.com/opc:1.1.0' })
    ).body.jobId;
    await http().post(`/api/v1/jobs/${cancelled}/cancel`).set(auth).send({});
    await http()
      .post('/api/v1/clients/r-3/config')
      .set(auth)
      .send({
        version: 2,
        settings: {
          endpoints: [
            {
              name: 'plc',
              url: 'opc.tcp://plc:4840',
              securityMode: 'None',
              securityPolicy: 'None',
            },
          ],
          nodes: [],
          buffering: { maxMessages: 10, maxBytes: 2048, overflowPolicy: 'dropNewest' },
        },
      });
    for (const [seq, phase] of [
      [1, 'received'],
      [2, 'pulling'],
      [3, 'committed'],
    ] as const) {
      const report = {
        schema: STATUS_REPORT_SCHEMA,
        messageId: randomUUID(),
        tenantId: 'rebuild',
        clientId: 'r-1',
        correlationId: 'c',
        jobId,
        seq,
        at: new Date(Date.UTC(2026, 10, 23, 10, 0, seq)).toISOString(),
        jobKind: 'update',
        phase,
        version: '1.1.0',
      } as StatusReport;
      await api.app
        .get(CommandBus)
        .execute(
          new IngestStatusReport({ report, topicTenantId: 'rebuild', topicClientId: 'r-1' }),
        );
    }
    // A rollout: r-2 (free again) gets a job, the unknown client is skipped.
    const rollout = await http()
      .post('/api/v1/rollouts')
      .set(auth)
      .send({
        clientIds: ['r-2', 'ghost'],
        targetVersion: '1.2.0',
        image: 'registry.example.com/opc:1.2.0',
      });
    expect(rollout.status).toBe(202);
    await api.app.get(RolloutDriver).caughtUp();
    await api.app.get(ReadModelProjection).caughtUp();
    const dataSource = api.app.get(DataSource);
    const before = await rows(dataSource);
    expect(before.clients).toHaveLength(3);
    expect(before.jobs).toHaveLength(4);
    expect(before.rollouts).toHaveLength(1);
    expect(before.rolloutClients.map((row: { state: string }) => row.state)).toEqual([
      'in_flight',
      'skipped',
    ]);

    const store = api.app.get<EventStore>(EVENT_STORE);
    const result = await rebuildReadModels({
      store,
      dataSource,
      logger: memoryLogger().logger,
    });
    expect(result).toMatchObject({ clients: 3, jobs: 4 });
    expect(await rows(dataSource)).toEqual(before);
  }, 30_000);
});
