import type { EventStore } from '@opcfleet/event-store';
import { createTestDatabase, type TestDatabase } from '@opcfleet/event-store/testing/test-database';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import request from 'supertest';
import { EVENT_STORE } from '../../src/event-sourcing/event-store.token';
import { MIGRATIONS_STREAM } from '../../src/migrations/event-store-migrations';
import { LEGACY_PREFIXES } from '../../src/migrations/stream-names-v2/stream-names-v2.plan';
import { ReadModelProjection } from '../../src/read-models/read-model.projection';
import { clientStream } from '../../src/shared/domain/stream-names';
import { RolloutDriver } from '../../src/rollouts/rollout-driver';
import { ApiApp, token } from '../support/api-app';

/** The ids in the fixture, written by the code before stream names v2. */
const FIXTURE = {
  file: join(__dirname, 'fixtures/store-before-stream-names-v2.sql'),
  finishedUpdate: 'e1a39a2b-5d08-4d11-b61f-66a5be539916',
  appliedConfig: '1aa5cb06-ed8d-47bb-83b1-6945b7a407f1',
  foreignUpdate: '8697d0eb-bcb8-4281-a84e-85024cc801f3',
  foreignConfig: '199c5edb-41d3-444a-9999-22218cd792ba',
  rollout: '174adc06-8ccf-4e7d-b883-4ff56cc6056a',
};

describe('a store written before stream names v2', () => {
  let database: TestDatabase;
  let api: ApiApp | undefined;
  let acme: { Authorization: string };
  let east: { Authorization: string };

  beforeAll(async () => {
    database = await createTestDatabase(undefined, 'dm_migrate');
    const client = new Client({ connectionString: database.url });
    await client.connect();
    await client.query(readFileSync(FIXTURE.file, 'utf8'));
    await client.end();
    acme = { Authorization: `Bearer ${await token('acme7', ['admin'])}` };
    east = { Authorization: `Bearer ${await token('acme7-east', ['admin'])}` };
  });
  afterAll(async () => {
    await api?.stop({ keepDatabase: true });
    await database.drop();
  });

  async function start(): Promise<ApiApp> {
    await api?.stop({ keepDatabase: true });
    api = await ApiApp.start({ database });
    await api.app.get(ReadModelProjection).caughtUp();
    return api;
  }
  const http = () => request(api!.server);

  it('keeps working: every client, job and rollout is there under its new name', async () => {
    await start();
    const clients = await http().get('/api/v1/clients').set(acme);
    expect(clients.status).toBe(200);
    const byId = Object.fromEntries(
      clients.body.items.map((c: { clientId: string }) => [c.clientId, c]),
    );
    expect(Object.keys(byId).sort()).toEqual(['east-1', 'line-2', 'line-3']);
    expect(byId['line-2']).toMatchObject({
      status: 'Online',
      version: { desired: '2.0.0', reported: '2.0.0' },
      config: { desired: 1, applied: 1 },
      lastUpdateOutcome: 'succeeded',
    });
    expect(byId['line-3']).toMatchObject({ status: 'Updating', version: { desired: '2.0.0' } });

    const job = await http().get(`/api/v1/jobs/${FIXTURE.finishedUpdate}`).set(acme);
    expect(job.body).toMatchObject({ status: 'Succeeded', clientId: 'line-2' });
    const history = await http().get(`/api/v1/jobs/${FIXTURE.finishedUpdate}/events`).set(acme);
    expect(history.body.map((e: { type: string }) => e.type)).toEqual([
      'UpdateRequested',
      'UpdateReceived',
      'UpdatePhaseReported',
      'UpdateSucceeded',
    ]);
    const config = await http().get(`/api/v1/jobs/${FIXTURE.appliedConfig}`).set(acme);
    expect(config.body).toMatchObject({ kind: 'config', status: 'Applied' });
    const rollout = await http().get(`/api/v1/rollouts/${FIXTURE.rollout}`).set(acme);
    expect(rollout.body).toMatchObject({ rolloutId: FIXTURE.rollout, status: 'Running' });

    const store = api!.app.get<EventStore>(EVENT_STORE);
    const legacy = await store.readAll({ streamPrefixes: [...LEGACY_PREFIXES] });
    expect(legacy.events).toEqual([]);
    expect(await store.readStream(MIGRATIONS_STREAM)).toEqual([
      expect.objectContaining({
        type: 'MigrationApplied',
        data: expect.objectContaining({ migration: 'stream-names-v2', renamed: 9, repaired: 1 }),
      }),
    ]);
  });

  it('frees the owner of a stream that another tenant shared, and lets that tenant register', async () => {
    // acme7-east's update landed on acme7's east-1 and blocked it; its end is recorded there.
    const store = api!.app.get<EventStore>(EVENT_STORE);
    const eastOne = await store.readStream(clientStream('acme7', 'east-1'));
    // ...and its config job, which raised east-1's config version, is ended there too.
    expect(eastOne.slice(-2)).toEqual([
      expect.objectContaining({
        type: 'ClientUpdateEnded',
        data: expect.objectContaining({ jobId: FIXTURE.foreignUpdate, outcome: 'cancelled' }),
        metadata: expect.objectContaining({ actor: 'system:migration', tenantId: 'acme7' }),
      }),
      expect.objectContaining({
        type: 'ClientConfigEnded',
        data: expect.objectContaining({ jobId: FIXTURE.foreignConfig, outcome: 'cancelled' }),
      }),
    ]);
    const update = await http()
      .post('/api/v1/clients/east-1/update')
      .set(acme)
      .send({ targetVersion: '3.0.0', image: 'registry.example.com/opc-core:3.0.0' });
    expect(update.status).toBe(202);
    expect((await http().get(`/api/v1/jobs/${FIXTURE.foreignUpdate}`).set(acme)).status).toBe(404);

    const registered = await http().post('/api/v1/clients').set(east).send({ clientId: '1' });
    expect(registered.status).toBe(201);
  });

  it('migrates once: a restart only reads the migrations stream and changes nothing', async () => {
    const store = api!.app.get<EventStore>(EVENT_STORE);
    // The story before left work to the rollout driver (the fixture's rollout goes on): let it
    // settle, or what it appends would be counted as the restart's doing.
    let count = -1;
    for (;;) {
      await api!.app.get(RolloutDriver).caughtUp();
      const events = (await store.readAll()).events.length;
      if (events === count) break;
      count = events;
    }
    const before = await store.readAll();
    await start();
    const after = await api!.app.get<EventStore>(EVENT_STORE).readAll();
    expect(after.events.map((e) => e.id)).toEqual(before.events.map((e) => e.id));
    const clients = await http().get('/api/v1/clients').set(acme);
    expect(clients.body.items).toHaveLength(3);
  });
});
