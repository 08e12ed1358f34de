import { clientCommandsFilter, commandTopic, statusTopic } from '@opcfleet/contracts';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectOutcome, MqttProbe } from '../../../broker/test/support/mqtt-probe';
import { startUpBanner } from '../../src/embedded/start-up-banner';
import { DEV_TENANT, startService, type RunningService } from '../../src/start-service';
import { memoryLogger } from '../support/memory-logger';

jest.setTimeout(60_000);

/**
 * The attack on `npm start` of issue 8, repeated against the real composition (startService:
 * embedded PGlite, embedded aedes, the REST API): anyone on the machine used to connect
 * anonymously, read every command and forge any device's reports.
 */
describe('npm start: the embedded broker lets in the service and the devices it issued credentials to', () => {
  let dataDir: string;
  let service: RunningService;
  const open: MqttProbe[] = [];
  const address = (clientId: string) => ({ tenantId: DEV_TENANT, clientId });

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'dm-embedded-broker-'));
    service = await startService(
      {
        DATA_DIR: dataDir,
        EMBEDDED_MQTT_PORT: '0',
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: '0',
        LOG_LEVEL: 'silent',
      },
      memoryLogger().logger,
    );
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((probe) => probe.end()));
  });
  afterAll(async () => {
    await service?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const mqttUrl = () => service.infrastructure.mqttUrl;

  async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${service.httpUrl}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${service.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok)
      throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  }

  /** Registers the client and issues its credential, as the banner tells an operator to. */
  async function deviceWithCredential(clientId: string) {
    await api('POST', '/clients', { clientId });
    return api<{ username: string; password: string }>('POST', `/clients/${clientId}/credentials`);
  }

  async function connectDevice(credential: { username: string; password: string }) {
    const probe = await MqttProbe.connect(mqttUrl(), { ...credential, protocolVersion: 4 });
    open.push(probe);
    return probe;
  }

  const closed = (probe: MqttProbe) =>
    new Promise<void>((resolve) => probe.client.once('close', () => resolve()));

  it('refuses an anonymous client, on loopback too', async () => {
    expect(await connectOutcome(mqttUrl(), { protocolVersion: 4 })).toEqual({
      connected: false,
      error: expect.stringMatching(/Not authorized/i),
    });
  });

  it('refuses the service account without its random password, which is kept 600 and never printed', async () => {
    const file = join(dataDir, 'mqtt-service-password');
    const password = (await readFile(file, 'utf8')).trim();
    expect(password).toMatch(/^[A-Za-z0-9_-]{48}$/); // 36 random bytes
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    for (const guess of ['', 'opcfleet-service', 'admin', service.infrastructure.jwtSecret!]) {
      const outcome = await connectOutcome(mqttUrl(), {
        username: 'opcfleet-service',
        password: guess,
        protocolVersion: 4,
      });
      expect(outcome.connected).toBe(false);
    }
    const banner = startUpBanner({
      httpUrl: service.httpUrl,
      infrastructure: service.infrastructure,
      token: service.token,
      tenant: DEV_TENANT,
    });
    expect(banner).not.toContain(password);
  });

  it("gives a device only its own tree: its commands arrive, other devices' stay out of reach", async () => {
    const credential = await deviceWithCredential('line-1');
    await deviceWithCredential('line-2');
    const device = await connectDevice(credential);

    expect(await device.subscribe(clientCommandsFilter(address('line-1')))).toBe(1);
    expect(await device.subscribe('#')).toBe(0x80);
    expect(await device.subscribe(clientCommandsFilter(address('line-2')))).toBe(0x80);
    await api('POST', '/clients/line-1/update', {
      targetVersion: '2.1.0',
      image: 'registry.example.com/opc-core:2.1.0',
    });
    const command = await device.waitFor(commandTopic(address('line-1'), 'update'));
    expect(JSON.parse(command.payload)).toMatchObject({ clientId: 'line-1', tenantId: DEV_TENANT });

    // Forging the other device's report closes the connection (MQTT 3.1.1 has no PUBACK refusal).
    const gone = closed(device);
    device.client.publish(statusTopic(address('line-2')), '{"forged":true}', { qos: 1 });
    await gone;
    // Its password is its own: it names no other device.
    const asOther = await connectOutcome(mqttUrl(), {
      username: `tenants/${DEV_TENANT}/clients/line-2`,
      password: credential.password,
      protocolVersion: 4,
    });
    expect(asOther.connected).toBe(false);
  });

  it('closes the live connection of a revoked credential at once and refuses it after', async () => {
    const credential = await deviceWithCredential('line-3');
    const device = await connectDevice(credential);
    const gone = closed(device);

    await api('DELETE', '/clients/line-3/credentials');
    await gone;
    const again = await connectOutcome(mqttUrl(), { ...credential, protocolVersion: 4 });
    expect(again).toEqual({ connected: false, error: expect.stringMatching(/Bad username/i) });
  });

  it('on rotation closes the old connection, refuses the old password and takes the new one', async () => {
    const old = await deviceWithCredential('line-4');
    const device = await connectDevice(old);
    const gone = closed(device);

    const rotated = await api<{ username: string; password: string }>(
      'POST',
      '/clients/line-4/credentials',
    );
    await gone;
    expect((await connectOutcome(mqttUrl(), { ...old, protocolVersion: 4 })).connected).toBe(false);
    const renewed = await connectDevice(rotated);
    expect(await renewed.subscribe(clientCommandsFilter(address('line-4')))).toBe(1);
  });
});
