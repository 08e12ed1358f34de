import { randomBytes } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@opcfleet/event-store/testing/test-database';
import { ApiClient } from './api-client';
import { BROKERS, type BrokerKind, type BrokerUnderTest } from './brokers';
import type { ManagedProcess } from './child-process';
import { runLogDir } from './child-process';
import { E2E_JWT_SECRET, ServiceUnderTest } from './device-management';
import { DeviceUnderTest } from './edge-agent';
import { deviceTls, forgetTenantTls, type TlsFiles } from './pki';

/** jest's testTimeout is global (a project's own is ignored): every e2e file sets these. */
export const SCENARIO_TIMEOUT_MS = 120_000;
export const STACK_TIMEOUT_MS = 90_000;

export interface DeviceOptions {
  tags?: string[];
  initialTag?: string;
  /** Register the client through the API (default true). */
  register?: boolean;
  /** Start the agent now (default true); false: the device is offline until `start()`. */
  start?: boolean;
  /** Agent settings over the harness's own (e.g. EDGE_AGENT_DOCKER_HOST through a PullGate). */
  agentEnv?: Record<string, string>;
}

/**
 * The whole system for one suite: a fresh PostgreSQL database, a broker process, the
 * device-management service process, and per test the devices (Podman workload + agent).
 * Devices are removed after every test, the rest when the suite ends, failures or not.
 */
export class FleetStack {
  readonly tenantId = `e2e-${randomBytes(4).toString('hex')}`;
  readonly devices: DeviceUnderTest[] = [];
  readonly services: ServiceUnderTest[] = [];
  /** An administrator of the stack's own tenant, talking to the first replica. */
  api: ApiClient;
  private clientCounter = 0;

  private constructor(
    readonly logDir: string,
    readonly database: TestDatabase,
    readonly broker: BrokerUnderTest,
  ) {}

  /** `serviceEnv`: settings of the service over the harness's own (e.g. an OTLP endpoint). */
  static async start(
    kind: BrokerKind,
    label: string,
    options: { serviceEnv?: Record<string, string> } = {},
  ): Promise<FleetStack> {
    const logDir = runLogDir(`${label}-${kind}`);
    const database = await createTestDatabase(undefined, 'e2e');
    let broker: BrokerUnderTest | undefined;
    try {
      broker = await BROKERS.find(([k]) => k === kind)![1](logDir);
      const service = await ServiceUnderTest.start({
        databaseUrl: database.url,
        broker,
        logDir,
        extraEnv: options.serviceEnv,
      });
      const stack = new FleetStack(logDir, database, broker);
      stack.services.push(service);
      stack.api = await ApiClient.as(() => stack.service.baseUrl, E2E_JWT_SECRET, stack.tenantId);
      return stack;
    } catch (error) {
      console.error(`e2e stack did not start; logs in ${logDir}`);
      await broker?.close().catch(() => undefined);
      await database.drop().catch(() => undefined);
      throw error;
    }
  }

  get service(): ServiceUnderTest {
    return this.services[0];
  }

  /** Another replica of the service against the same database and broker. */
  async addReplica(sharedGroup: string): Promise<ServiceUnderTest> {
    const replica = await ServiceUnderTest.start({
      name: `device-management-${this.services.length + 1}`,
      replica: this.services.length + 1,
      databaseUrl: this.database.url,
      broker: this.broker,
      logDir: this.logDir,
      sharedGroup,
    });
    this.services.push(replica);
    return replica;
  }

  nextClientId(label = 'press'): string {
    this.clientCounter += 1;
    return `${label}-${this.clientCounter}`;
  }

  async deviceCertificate(clientId: string): Promise<TlsFiles> {
    const address = { tenantId: this.tenantId, clientId };
    return (await deviceTls(address)).get(`${this.tenantId}/${clientId}`)!;
  }

  async addDevice(options: DeviceOptions = {}): Promise<DeviceUnderTest> {
    const clientId = this.nextClientId();
    const initialTag = options.initialTag ?? '1.0.0';
    const tags = [...new Set([initialTag, ...(options.tags ?? ['2.0.0'])])];
    const device = await DeviceUnderTest.create({
      address: { tenantId: this.tenantId, clientId },
      broker: this.broker,
      tls: await this.deviceCertificate(clientId),
      logDir: this.logDir,
      tags,
      initialTag,
      extraEnv: options.agentEnv,
    });
    this.devices.push(device);
    if (options.register !== false) await this.api.registerClient(clientId, versionOf(initialTag));
    if (options.start !== false) await device.start();
    return device;
  }

  processes(): ManagedProcess[] {
    return [
      this.broker.process,
      ...this.services.map((s) => s.process),
      ...this.devices.map((d) => d.process),
    ];
  }

  /** The end of every child's log, for a failing test. */
  tails(lines = 30): string {
    return this.processes()
      .map((p) => `----- ${p.name} (${p.logFile}) -----\n${p.tail(lines)}`)
      .join('\n');
  }

  /**
   * Runs one scenario: on failure prints every child's log tail; always removes the devices
   * (containers, images, data dirs) and brings killed parts back for the next scenario.
   */
  async scenario(run: () => Promise<void>): Promise<void> {
    try {
      await run();
    } catch (error) {
      console.error(`e2e scenario failed; logs in ${this.logDir}\n${this.tails()}`);
      throw error;
    } finally {
      await Promise.all(this.devices.splice(0).map((d) => d.cleanup().catch(() => undefined)));
      for (const replica of this.services.splice(1)) await replica.close().catch(() => undefined);
      if (!this.broker.process.running) await this.broker.restart().catch(() => undefined);
      if (!this.service.process.running) await this.service.startAndWait().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.devices.splice(0).map((d) => d.cleanup().catch(() => undefined)));
    for (const service of this.services.splice(0)) await service.close().catch(() => undefined);
    await this.broker.close().catch(() => undefined);
    await this.database.drop().catch(() => undefined);
    await forgetTenantTls(this.tenantId).catch(() => undefined);
  }
}

/** The sample images' tags map to versions (infra/images/build-and-push.sh). */
const VERSIONS: Record<string, string> = {
  '1.0.0': '1.0.0',
  '2.0.0': '2.0.0',
  'crash-at-start': '3.0.0',
  'never-healthy': '4.0.0',
  'rejects-config': '5.0.0',
};

export function versionOf(tag: string): string {
  const version = VERSIONS[tag];
  if (!version) throw new Error(`unknown sample tag ${tag}`);
  return version;
}
