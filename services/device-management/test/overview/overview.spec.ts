import request from 'supertest';
import { ApiApp, token } from '../support/api-app';

describe('GET /api/v1/overview', () => {
  let api: ApiApp;
  beforeAll(async () => {
    api = await ApiApp.start();
    const admin = `Bearer ${await token('tenant-a', ['admin'])}`;
    const other = `Bearer ${await token('tenant-b', ['admin'])}`;
    for (const [bearer, clientId, version] of [
      [admin, 'a-1', '1.0.0'],
      [admin, 'a-2', '1.0.0'],
      [admin, 'a-3', '2.0.0'],
      [other, 'b-1', '9.9.9'],
    ]) {
      await request(api.server)
        .post('/api/v1/clients')
        .set('Authorization', bearer)
        .send({ clientId, version })
        .expect(201);
    }
    await request(api.server)
      .post('/api/v1/clients/a-1/update')
      .set('Authorization', admin)
      .send({ targetVersion: '2.0.0', image: 'registry.local/opc-core:2.0.0' })
      .expect(202);
  });
  afterAll(() => api.stop());

  it("counts the caller's tenant only, by status and by running version", async () => {
    const auditor = `Bearer ${await token('tenant-a', ['auditor'])}`;
    const { body } = await request(api.server)
      .get('/api/v1/overview')
      .set('Authorization', auditor)
      .expect(200);
    expect(body).toMatchObject({ clients: 3, jobsInFlight: 1, failures: [] });
    expect(body.byStatus).toEqual(
      expect.arrayContaining([expect.objectContaining({ key: 'Updating', count: 1 })]),
    );
    expect(body.byVersion).toEqual([
      { key: '1.0.0', count: 2 },
      { key: '2.0.0', count: 1 },
    ]);
    const other = `Bearer ${await token('tenant-b', ['auditor'])}`;
    const b = await request(api.server).get('/api/v1/overview').set('Authorization', other);
    expect(b.body).toMatchObject({
      clients: 1,
      jobsInFlight: 0,
      byVersion: [{ key: '9.9.9', count: 1 }],
    });
  });

  it('needs a token', async () => {
    await request(api.server).get('/api/v1/overview').expect(401);
  });
});
