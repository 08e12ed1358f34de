import { createTestDatabase, type TestDatabase } from '@opcfleet/event-store/testing/test-database';
import request from 'supertest';
import { ApiApp, token } from '../support/api-app';
import { TcpProxy } from '../support/tcp-proxy';

/** The service sees PostgreSQL through a proxy the test cuts: 503, never 500, then recovery. */
describe('database down', () => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  let api: ApiApp;
  let admin: string;

  beforeAll(async () => {
    database = await createTestDatabase(undefined, 'dm_down');
    const target = new URL(database.url);
    proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    await proxy.start();
    const viaProxy = new URL(database.url);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    api = await ApiApp.start({ database, databaseUrl: viaProxy.toString() });
    admin = await token('down', ['admin']);
  });
  afterAll(async () => {
    await proxy?.restore().catch(() => undefined);
    await api?.stop();
    // The proxy's listening socket would keep jest from exiting.
    await proxy?.cut();
  });

  it('answers 503 while the database is unreachable and recovers when it is back', async () => {
    const http = () => request(api.server);
    const register = (clientId: string) =>
      http().post('/api/v1/clients').set('Authorization', `Bearer ${admin}`).send({ clientId });
    expect((await register('before')).status).toBe(201);

    await proxy.cut();
    const refused = await register('during');
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ statusCode: 503, error: 'database_unavailable' });
    const read = await http().get('/api/v1/clients').set('Authorization', `Bearer ${admin}`);
    expect(read.status).toBe(503);
    const health = await http().get('/health');
    expect(health.status).toBe(503);
    expect(health.body.checks.database.status).toBe('down');

    await proxy.restore();
    let status = 0;
    for (let attempt = 0; attempt < 20 && status !== 201; attempt++) {
      status = (await register('after')).status;
      if (status !== 201) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(status).toBe(201);
    expect((await http().get('/health')).status).toBe(200);
  }, 30_000);
});
