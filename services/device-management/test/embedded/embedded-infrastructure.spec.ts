import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { Client } from 'pg';
import { provideInfrastructure } from '../../src/embedded/embedded-infrastructure';
import { startUpBanner } from '../../src/embedded/start-up-banner';
import { memoryLogger } from '../support/memory-logger';

jest.setTimeout(60_000);

describe('embedded infrastructure (npm start with nothing installed)', () => {
  let dataDir: string;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'dm-embedded-'));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('starts PGlite under the data folder, the aedes broker and a development key, and stops them', async () => {
    const env = { DATA_DIR: dataDir, EMBEDDED_MQTT_PORT: '0' };
    const infrastructure = await provideInfrastructure(env, memoryLogger().logger);
    try {
      expect(infrastructure.embedded).toEqual({ database: true, broker: true, jwtSecret: true });
      const sql = new Client({ connectionString: infrastructure.databaseUrl });
      await sql.connect();
      await sql.query('CREATE TABLE kept (value text)');
      await sql.query(`INSERT INTO kept VALUES ('still here')`);
      await sql.end();
      expect(infrastructure.dataDir).toBe(dataDir);
      const service = await mqtt.connectAsync(infrastructure.mqttUrl, {
        ...infrastructure.mqttCredentials,
        reconnectPeriod: 0,
      });
      await service.endAsync();
      const secret = (await readFile(join(dataDir, 'dev-jwt-secret'), 'utf8')).trim();
      expect(secret).toBe(infrastructure.jwtSecret);
      expect(secret.length).toBeGreaterThanOrEqual(32);
      const passwordFile = join(dataDir, 'mqtt-service-password');
      expect((await readFile(passwordFile, 'utf8')).trim()).toBe(
        infrastructure.mqttCredentials!.password,
      );
      expect((await stat(passwordFile)).mode & 0o777).toBe(0o600);
    } finally {
      await infrastructure.stop();
    }
    // A second start finds the same data and the same key.
    const again = await provideInfrastructure(env, memoryLogger().logger);
    try {
      const sql = new Client({ connectionString: again.databaseUrl });
      await sql.connect();
      const { rows } = await sql.query('SELECT value FROM kept');
      await sql.end();
      expect(rows).toEqual([{ value: 'still here' }]);
      expect(again.jwtSecret).toBe(infrastructure.jwtSecret);
      expect(again.mqttCredentials).toEqual(infrastructure.mqttCredentials);
    } finally {
      await again.stop();
    }
  });

  it('uses DATABASE_URL, MQTT_URL and JWT_JWKS_URL as given and starts nothing', async () => {
    const infrastructure = await provideInfrastructure(
      {
        DATA_DIR: dataDir,
        DATABASE_URL: 'postgres://postgres@db.example:5432/fleet',
        MQTT_URL: 'mqtts://broker.example:8883',
        JWT_JWKS_URL: 'https://id.example/.well-known/jwks.json',
      },
      memoryLogger().logger,
    );
    expect(infrastructure).toMatchObject({
      databaseUrl: 'postgres://postgres@db.example:5432/fleet',
      mqttUrl: 'mqtts://broker.example:8883',
      jwtSecret: undefined,
      mqttCredentials: undefined,
      embeddedBroker: undefined,
      embedded: { database: false, broker: false, jwtSecret: false },
    });
    await infrastructure.stop();
  });

  it.each([
    [{ EMBEDDED_MQTT_PORT: 'x' }, /^EMBEDDED_MQTT_PORT: /],
    [{ BROKER_MAX_PACKET_BYTES: '1mb' }, /^BROKER_MAX_PACKET_BYTES: must be a number/],
    [{ BROKER_MAX_PACKET_BYTES: '512' }, /^BROKER_MAX_PACKET_BYTES: must be at least 1024/],
  ])('refuses %j, naming the variable', async (env, message) => {
    await expect(
      provideInfrastructure({ DATA_DIR: dataDir, ...env }, memoryLogger().logger),
    ).rejects.toThrow(message);
  });
});

describe('startUpBanner', () => {
  const facts = (dataDir: string, embeddedBroker: boolean) => ({
    httpUrl: 'http://localhost:3000',
    tenant: 'demo',
    token: 'tok.en.value',
    infrastructure: {
      databaseUrl: 'postgres://app:secret@db:5432/fleet',
      mqttUrl: 'mqtt://127.0.0.1:1883',
      dataDir,
      embedded: { database: false, broker: embeddedBroker, jwtSecret: true },
      stop: async () => undefined,
    },
  });

  it('prints the URLs, the token and the curls that start an update', () => {
    const banner = startUpBanner(facts('/srv/fleet-data', true));
    expect(banner).toContain('console    http://localhost:3000/');
    expect(banner).toContain('http://localhost:3000/api/v1');
    expect(banner).toContain('http://localhost:3000/docs');
    expect(banner).toContain('mqtt://127.0.0.1:1883 (embedded)');
    expect(banner).toContain('export TOKEN=tok.en.value');
    expect(banner).toContain('/api/v1/clients/line-1/update -H "Authorization: Bearer $TOKEN"');
    expect(banner).not.toContain('secret@');
  });

  it('names the data directory it really uses (DATA_DIR), not ./data', () => {
    const banner = startUpBanner(facts('/srv/fleet-data', true));
    expect(banner).toContain('key kept in /srv/fleet-data/dev-jwt-secret');
    expect(banner).toMatch(/data {7}\/srv\/fleet-data \(dev-jwt-secret, mqtt-service-password\)/);
    expect(banner).not.toContain('./data');
  });

  it('tells how to run an agent with its own credential against the embedded broker', () => {
    const banner = startUpBanner(facts('/srv/fleet-data', true));
    expect(banner).toContain(
      'curl -s -X POST http://localhost:3000/api/v1/clients/line-1/credentials -H "Authorization: Bearer $TOKEN"',
    );
    expect(banner).toContain('EDGE_AGENT_MQTT_URL=mqtt://127.0.0.1:1883');
    expect(banner).toContain(
      'EDGE_AGENT_MQTT_USERNAME=tenants/demo/clients/line-1 EDGE_AGENT_MQTT_PASSWORD="$MQTT_PASSWORD"',
    );
    expect(banner).toContain('npm run agent -- run');
    expect(startUpBanner(facts('/srv/fleet-data', false))).not.toContain('/credentials');
  });
});
