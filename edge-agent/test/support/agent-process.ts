import type { ClientAddress } from '@opcfleet/contracts';
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DOCKER_HOST, REGISTRY, type WorkloadFixture } from '../engine/workload-fixture';

/** The built CLI (`npm run build`), from a source or a built test alike. */
export const AGENT_CLI = path
  .resolve(__dirname, '../../..', 'dist/edge-agent/src/cli/main.js')
  .replace(/dist\/dist\//, 'dist/');

/** Node flags as a launcher passes them: the words of a `node-flags` file or variable. */
export const nodeFlagsOf = (text: string): string[] => text.split(/\s+/).filter(Boolean);

/** The node flags every launcher of the agent uses (edge-agent/packaging/node-flags). */
export const PACKAGED_NODE_FLAGS: readonly string[] = nodeFlagsOf(
  readFileSync(
    // The checkout's root, from a source or a built test alike.
    path.join(
      path.resolve(__dirname, '../../..').replace(/\/dist$/, ''),
      'edge-agent/packaging/node-flags',
    ),
    'utf8',
  ),
);

/**
 * `edge-agent run` in its own process, node started as the launchers start it, for one workload
 * fixture, on MQTT 5, with the settings a test device uses (short settle, HTTP probe on the
 * workload's port, signal reload with the sample image's config verdict). `env` adds or
 * overrides variables.
 */
export function spawnAgent(options: {
  address: ClientAddress;
  mqttUrl: string;
  dataDir: string;
  fixture: WorkloadFixture;
  /** Instead of PACKAGED_NODE_FLAGS. */
  nodeFlags?: readonly string[];
  stdio?: StdioOptions;
  env?: Record<string, string>;
  /**
   * An installed agent: its command, and the settings file install.sh wrote (which then gives
   * the client's identity, broker, engine, workload and probe port instead of variables).
   */
  installed?: { command: string; settingsFile: string };
}): ChildProcess {
  const { address, fixture, installed } = options;
  const [file, args] = installed
    ? [installed.command, ['run']]
    : [process.execPath, [...(options.nodeFlags ?? PACKAGED_NODE_FLAGS), AGENT_CLI, 'run']];
  const identity = installed
    ? { EDGE_AGENT_SETTINGS_FILE: installed.settingsFile }
    : {
        EDGE_AGENT_TENANT_ID: address.tenantId,
        EDGE_AGENT_CLIENT_ID: address.clientId,
        EDGE_AGENT_MQTT_URL: options.mqttUrl,
        EDGE_AGENT_DOCKER_HOST: DOCKER_HOST,
        EDGE_AGENT_WORKLOAD_CONTAINER: fixture.containerName,
        EDGE_AGENT_CONFIG_DIR: fixture.configDir,
        EDGE_AGENT_HEALTH_PROBE_PORT: '8080',
      };
  return spawn(file, args, {
    stdio: options.stdio ?? ['ignore', 'inherit', 'inherit'],
    env: {
      ...process.env,
      ...identity,
      EDGE_AGENT_MQTT_VERSION: '5',
      EDGE_AGENT_DATA_DIR: options.dataDir,
      EDGE_AGENT_INSECURE_REGISTRIES: REGISTRY,
      EDGE_AGENT_CONFIG_VERDICT_URL: `http://127.0.0.1:${fixture.hostPort}/config-status`,
      EDGE_AGENT_HEALTH_SETTLE_MS: '1000',
      EDGE_AGENT_PROBATION_SECONDS: '1',
      EDGE_AGENT_HEALTH_PROBE_TIMEOUT_MS: '5000',
      EDGE_AGENT_STOP_TIMEOUT_SECONDS: '5',
      EDGE_AGENT_HTTP_PORT: '0',
      EDGE_AGENT_LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      ...options.env,
    },
  });
}
