import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import type { ClientAddress } from '@opcfleet/contracts';
import { WorkloadFixture } from '../../../edge-agent/test/engine/workload-fixture';
import { PACKAGED_NODE_FLAGS } from '../../../edge-agent/test/support/agent-process';
import type { BrokerUnderTest } from './brokers';
import { ManagedProcess } from './child-process';
import { eventually, freePort } from './free-port';
import { builtScript } from './paths';
import type { TlsFiles } from './pki';

export { REGISTRY } from '../../../edge-agent/test/engine/workload-fixture';

/** The engine's API the agents talk to (Podman's socket unless DOCKER_HOST says otherwise). */
export const ENGINE_HOST = process.env.DOCKER_HOST ?? 'unix:///run/podman/podman.sock';

export interface AgentOptions {
  address: ClientAddress;
  broker: BrokerUnderTest;
  tls: TlsFiles;
  logDir: string;
  /** Sample tags (infra/images) copied into the workload's own repository. */
  tags: string[];
  /** The tag the device runs before the test; omit to start the agent with no workload. */
  initialTag: string;
  extraEnv?: Record<string, string>;
}

/**
 * One edge device: a workload container on Podman (its own image repository, config dir,
 * volume and host port: edge-agent/test/engine/workload-fixture) and the edge agent daemon
 * from dist/ in its own process with its own data dir, talking TLS to the broker with its
 * own device certificate.
 */
export class DeviceUnderTest {
  private constructor(
    readonly address: ClientAddress,
    readonly workload: WorkloadFixture,
    readonly process: ManagedProcess,
    readonly dataDir: string,
    readonly inspectionUrl: string,
  ) {}

  static async create(options: AgentOptions): Promise<DeviceUnderTest> {
    const workload = await startWorkload(options.tags, options.initialTag);
    const dataDir = await mkdtemp(join(tmpdir(), `e2e-agent-${options.address.clientId}-`));
    const httpPort = await freePort();
    const { broker, tls, address } = options;
    const child = new ManagedProcess({
      name: `agent-${address.clientId}`,
      command: 'node',
      args: [...PACKAGED_NODE_FLAGS, builtScript('edge-agent/src/cli/main.js'), 'run'],
      env: {
        EDGE_AGENT_TENANT_ID: address.tenantId,
        EDGE_AGENT_CLIENT_ID: address.clientId,
        EDGE_AGENT_MQTT_URL: broker.url,
        EDGE_AGENT_MQTT_VERSION: String(broker.protocolVersion),
        EDGE_AGENT_MQTT_CA_FILE: tls.caFile,
        EDGE_AGENT_MQTT_CERT_FILE: tls.certFile,
        EDGE_AGENT_MQTT_KEY_FILE: tls.keyFile,
        EDGE_AGENT_MQTT_KEEPALIVE_SECONDS: '5',
        EDGE_AGENT_DATA_DIR: dataDir,
        EDGE_AGENT_DOCKER_HOST: ENGINE_HOST,
        EDGE_AGENT_WORKLOAD_CONTAINER: workload.containerName,
        EDGE_AGENT_CONFIG_DIR: workload.configDir,
        EDGE_AGENT_RELOAD_METHOD: 'signal',
        EDGE_AGENT_CONFIG_VERDICT_URL: `http://127.0.0.1:${workload.hostPort}/config-status`,
        // Short settle: the suite has a time budget; the probe still has to pass.
        EDGE_AGENT_HEALTH_SETTLE_MS: '1500',
        EDGE_AGENT_HEALTH_PROBE_PORT: '8080',
        EDGE_AGENT_HEALTH_PROBE_TIMEOUT_MS: '8000',
        // Short probation after the health check, for the same budget.
        EDGE_AGENT_PROBATION_SECONDS: '2',
        EDGE_AGENT_STOP_TIMEOUT_SECONDS: '3',
        EDGE_AGENT_DISK_FLOOR_BYTES: '0',
        EDGE_AGENT_INSECURE_REGISTRIES: '127.0.0.1:5000',
        EDGE_AGENT_HTTP_PORT: String(httpPort),
        EDGE_AGENT_LOG_LEVEL: 'info',
        ...options.extraEnv,
      },
      logDir: options.logDir,
    });
    return new DeviceUnderTest(address, workload, child, dataDir, `http://127.0.0.1:${httpPort}`);
  }

  /** Starts the daemon and waits until it is connected to the broker. */
  async start(timeoutMs = 30_000): Promise<void> {
    this.process.start();
    await eventually(
      `agent ${this.address.clientId} connected`,
      async () => {
        if (!this.process.running) throw new Error(`${this.process.name} exited`);
        const response = await fetch(`${this.inspectionUrl}/healthz`, {
          signal: AbortSignal.timeout(2_000),
        });
        const body = (await response.json()) as { mqttConnected?: boolean };
        return body.mqttConnected ? true : undefined;
      },
      { timeoutMs, intervalMs: 150 },
    );
  }

  /** Highest report sequence number the agent has used for a job (its durable ledger). */
  async lastReportSeq(jobId: string): Promise<number> {
    const record = JSON.parse(
      await readFile(join(this.dataDir, 'jobs', `${jobId}.json`), 'utf8'),
    ) as {
      lastSeq: number;
    };
    return record.lastSeq;
  }

  /** The workload's containers on the engine (the current one and any kept for rollback). */
  containers(): Promise<Docker.ContainerInfo[]> {
    return this.workload.containers();
  }

  /** The image of the one running workload container; fails if none or several run. */
  async runningImage(): Promise<string> {
    const running = (await this.containers()).filter((c) => c.State === 'running');
    if (running.length !== 1) {
      throw new Error(
        `expected one running workload container, found ${running.map((c) => `${c.Names[0]} (${c.Image})`).join(', ') || 'none'}`,
      );
    }
    return running[0].Image;
  }

  /** What the workload itself serves: its version and the config it has loaded. */
  async workloadFile(name: 'version' | 'config' | 'config-status'): Promise<string | null> {
    try {
      const response = await fetch(`http://127.0.0.1:${this.workload.hostPort}/${name}`, {
        signal: AbortSignal.timeout(1500),
      });
      return response.ok ? (await response.text()).trim() : null;
    } catch {
      return null;
    }
  }

  async cleanup(): Promise<void> {
    await this.process.stop(5_000);
    await this.process.closeLog();
    await this.workload.cleanup();
    await rm(this.dataDir, { recursive: true, force: true });
  }
}

/**
 * The fixture publishes the workload on a random host port; when something else holds it the
 * engine refuses the container, and a fresh fixture (another port) is the way out.
 */
async function startWorkload(
  tags: string[],
  initialTag: string,
  attempts = 3,
): Promise<WorkloadFixture> {
  for (let attempt = 1; ; attempt += 1) {
    const workload = new WorkloadFixture();
    try {
      await workload.stage(...tags);
      await workload.createWorkload(initialTag);
      return workload;
    } catch (error) {
      await workload.cleanup().catch(() => undefined);
      if (attempt >= attempts || !/address already in use/.test(String(error))) throw error;
    }
  }
}
