import { createTestDatabase, type TestDatabase } from '@opcfleet/event-store/testing/test-database';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import request from 'supertest';
import { DeviceCredentialStore } from '../../src/clients/device-credentials/device-credential-store';
import { ReadModelProjection } from '../../src/read-models/read-model.projection';
import { ApiApp, token } from '../support/api-app';

/**
 * A database written by main at cd62dd5 (read-model tables from TypeORM synchronize, the
 * decider's state in them), and what its API answered then: see fixtures/README.md.
 */
const FIXTURE = join(__dirname, 'fixtures/store-main-cd62dd5');
const expected = JSON.parse(readFileSync(`${FIXTURE}.expected.json`, 'utf8')) as {
  tenant: string;
  credential: { username: string; password: string };
  answers: Record<string, unknown>;
};

describe('read models of a database written before read-model migrations', () => {
  let database: TestDatabase;
  let api: ApiApp | undefined;

  beforeAll(async () => {
    database = await createTestDatabase(undefined, 'dm_rm_migrate');
    const client = new Client({ connectionString: database.url });
    await client.connect();
    await client.query(readFileSync(`${FIXTURE}.sql`, 'utf8'));
    await client.end();
  });
  afterAll(async () => {
    await api?.stop({ keepDatabase: true });
    await database.drop();
  });

  async function start(): Promise<ApiApp> {
    await api?.stop({ keepDatabase: true });
    // The fixture's running job must not time out however old the fixture is.
    api = await ApiApp.start({ database, env: { JOB_REPORT_TIMEOUT_SECONDS: '3153600000' } });
    await api.app.get(ReadModelProjection).caughtUp();
    return api;
  }

  async function answers(app: ApiApp) {
    const auth = { Authorization: `Bearer ${await token(expected.tenant, ['admin'])}` };
    return Object.fromEntries(
      await Promise.all(
        Object.keys(expected.answers).map(async (path) => {
          const response = await request(app.server).get(path).set(auth);
          return [path, response.status === 200 ? response.body : response.status];
        }),
      ),
    );
  }

  it('upgrades the tables and answers as before, then starts again without migrating', async () => {
    const app = await start();
    expect(await answers(app)).toEqual(expected.answers);
    const { username, password } = expected.credential;
    expect(await app.app.get(DeviceCredentialStore).check(username, password)).toBe(true);

    const sql = new Client({ connectionString: database.url });
    await sql.connect();
    try {
      const versions = await sql.query(
        'SELECT version, name FROM read_models.schema_migrations ORDER BY version',
      );
      expect(versions.rows).toEqual([
        { version: 1, name: 'tables-of-typeorm-synchronize' },
        { version: 2, name: 'documents-not-decider-state' },
        { version: 3, name: 'rollouts' },
        { version: 4, name: 'device-states' },
        { version: 5, name: 'releases' },
        { version: 6, name: 'alert-subscriptions-and-deliveries' },
      ]);
      const columns = await sql.query(
        `SELECT table_name, column_name FROM information_schema.columns
          WHERE table_schema = 'read_models' AND table_name IN ('clients', 'jobs')
            AND column_name IN ('state', 'document', 'credential_id')
          ORDER BY table_name, column_name`,
      );
      expect(columns.rows).toEqual([
        { table_name: 'clients', column_name: 'credential_id' },
        { table_name: 'jobs', column_name: 'document' },
      ]);
    } finally {
      await sql.end();
    }

    // A second start finds nothing to migrate and nothing to rebuild: the same answers.
    const again = await start();
    expect(await answers(again)).toEqual(expected.answers);
  }, 120_000);
});
