import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { DeviceCredentialStore } from '../../src/clients/device-credentials/device-credential-store';
import { ApiApp, token } from '../support/api-app';

/**
 * Device credentials through the REST API, on PostgreSQL: issued once, rotated and revoked by
 * an admin, checked by the store the embedded broker asks (test/embedded has the broker side).
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
    token(tenant, ['admin'], 'alice'),
    token(tenant, ['operator']),
    token(tenant, ['auditor']),
    token(`other-${tenant}`, ['admin']),
  ]);
});
afterAll(() => api?.stop());

const http = () => request(api.server);
const as = (jwt: string) => ({ Authorization: `Bearer ${jwt}` });
const store = () => api.app.get(DeviceCredentialStore);
const usernameOf = (clientId: string) => `tenants/${tenant}/clients/${clientId}`;

async function register(clientId: string) {
  const response = await http().post('/api/v1/clients').set(as(admin)).send({ clientId });
  expect(response.status).toBe(201);
}

const issue = (clientId: string, jwt = admin) =>
  http().post(`/api/v1/clients/${clientId}/credentials`).set(as(jwt));
const revoke = (clientId: string, jwt = admin) =>
  http().delete(`/api/v1/clients/${clientId}/credentials`).set(as(jwt));

async function storedHashes(credentialId: string): Promise<string[]> {
  const rows = (await api.app
    .get(DataSource)
    .query('SELECT secret_hash FROM read_models.device_credentials WHERE credential_id = $1', [
      credentialId,
    ])) as { secret_hash: string }[];
  return rows.map((row) => row.secret_hash);
}

describe('device credentials', () => {
  it('are issued once to an admin: the store keeps a scrypt hash, the history who and when', async () => {
    await register('press-1');
    const response = await issue('press-1');

    expect(response.status).toBe(201);
    expect(response.headers['cache-control']).toBe('no-store');
    const credential = response.body as Record<string, string>;
    expect(credential).toEqual({
      clientId: 'press-1',
      credentialId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      username: usernameOf('press-1'),
      password: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      issuedAt: expect.any(String),
    });
    await expect(store().check(credential.username, credential.password)).resolves.toBe(true);
    await expect(store().check(credential.username, `${credential.password}x`)).resolves.toBe(
      false,
    );
    await expect(store().check(usernameOf('press-2'), credential.password)).resolves.toBe(false);

    const [hash] = await storedHashes(credential.credentialId);
    expect(hash).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(hash).not.toContain(credential.password);

    const history = await http().get('/api/v1/clients/press-1/history').set(as(auditor));
    expect(history.status).toBe(200);
    expect(history.body.events).toContainEqual(
      expect.objectContaining({
        type: 'ClientCredentialIssued',
        data: {
          tenantId: tenant,
          clientId: 'press-1',
          credentialId: credential.credentialId,
          issuedAt: credential.issuedAt,
        },
        metadata: expect.objectContaining({ actor: 'alice' }),
      }),
    );
    expect(JSON.stringify(history.body)).not.toContain(credential.password);
    expect(JSON.stringify(history.body)).not.toContain(hash);
  });

  it('rotate: the new credential connects, the old one stops at once and its hash is dropped', async () => {
    await register('press-3');
    const old = (await issue('press-3')).body as Record<string, string>;
    const rotated = await issue('press-3');

    expect(rotated.status).toBe(201);
    expect(rotated.body.replaces).toBe(old.credentialId);
    await expect(store().check(old.username, old.password)).resolves.toBe(false);
    await expect(store().check(rotated.body.username, rotated.body.password)).resolves.toBe(true);
    expect(await storedHashes(old.credentialId)).toEqual([]);
  });

  it('revoke: the credential stops working; there is nothing left to revoke after', async () => {
    await register('press-4');
    const credential = (await issue('press-4')).body as Record<string, string>;
    await expect(store().check(credential.username, credential.password)).resolves.toBe(true);

    const response = await revoke('press-4');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      clientId: 'press-4',
      credentialId: credential.credentialId,
      revokedAt: expect.any(String),
    });
    await expect(store().check(credential.username, credential.password)).resolves.toBe(false);
    expect(await storedHashes(credential.credentialId)).toEqual([]);
    expect((await revoke('press-4')).status).toBe(404);

    const history = await http().get('/api/v1/clients/press-4/history').set(as(auditor));
    expect(history.body.events.map((event: { type: string }) => event.type)).toEqual([
      'ClientRegistered',
      'ClientCredentialIssued',
      'ClientCredentialRevoked',
    ]);
  });

  it("are an admin's of the client's own tenant only", async () => {
    await register('press-5');
    expect((await issue('press-5', operator)).status).toBe(403);
    expect((await issue('press-5', auditor)).status).toBe(403);
    expect((await revoke('press-5', operator)).status).toBe(403);
    expect((await issue('press-5', otherAdmin)).status).toBe(404);
    expect((await issue('never-registered')).status).toBe(404);
    expect((await revoke('never-registered')).status).toBe(404);
    expect((await issue('bad/id')).status).toBe(404);
    expect((await issue('bad+id')).status).toBe(400);
  });

  it('the store refuses what is no device username, and a wrong or missing password', async () => {
    await register('press-6');
    const credential = (await issue('press-6')).body as Record<string, string>;
    for (const username of ['opcfleet-service', `tenants/${tenant}/clients/+`, '', 'tenants']) {
      await expect(store().check(username, credential.password)).resolves.toBe(false);
    }
    await expect(store().check(credential.username, undefined)).resolves.toBe(false);
    await expect(store().check(credential.username, '')).resolves.toBe(false);
  });
});
