import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { AGENT_CLI } from './support/agent-process';

const MQTT_URL = process.env.TEST_MOSQUITTO_URL ?? 'mqtt://127.0.0.1:1884';

/** `edge-agent run` on a data dir; its output kept line by line. Needs `npm run build`. */
function runAgent(dataDir: string, address: { tenantId: string; clientId: string }) {
  const child = spawn(process.execPath, [AGENT_CLI, 'run'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      EDGE_AGENT_TENANT_ID: address.tenantId,
      EDGE_AGENT_CLIENT_ID: address.clientId,
      EDGE_AGENT_MQTT_URL: MQTT_URL,
      EDGE_AGENT_DATA_DIR: dataDir,
      EDGE_AGENT_WORKLOAD_CONTAINER: `opc-none-${randomUUID().slice(0, 8)}`,
      EDGE_AGENT_CONFIG_DIR: path.join(dataDir, 'workload-config'),
      EDGE_AGENT_HTTP_PORT: '0',
      EDGE_AGENT_LOG_LEVEL: 'info',
    },
  });
  const output: string[] = [];
  const waiters = new Set<() => void>();
  for (const stream of [child.stdout!, child.stderr!]) {
    stream.on('data', (chunk: Buffer) => {
      output.push(...chunk.toString().split('\n').filter(Boolean));
      for (const waiter of [...waiters]) waiter();
    });
  }
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    output,
    exited,
    /** Resolves once a line contains `text`; rejects if the process ends first. */
    saying: (text: string) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!output.some((line) => line.includes(text))) return;
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        check();
        void exited.then(() => {
          check();
          if (waiters.has(check))
            reject(new Error(`exited without saying "${text}": ${output.join('\n')}`));
        });
      }),
  };
}

describe('one agent per data dir (built CLI, Mosquitto)', () => {
  let dataDir: string;
  const children: ChildProcess[] = [];
  const address = { tenantId: `t-${randomUUID().slice(0, 12)}`, clientId: 'press-07' };

  beforeAll(() => {
    if (!existsSync(AGENT_CLI)) throw new Error(`${AGENT_CLI} is missing: run npm run build first`);
  });
  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'agent-lock-'));
  });
  afterEach(async () => {
    for (const child of children.splice(0)) {
      if (child.exitCode === null && !child.signalCode) child.kill('SIGKILL');
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  const start = () => {
    const agent = runAgent(dataDir, address);
    children.push(agent.child);
    return agent;
  };

  it('refuses a second agent on the same data dir, and takes over the lock of one killed with -9', async () => {
    const first = start();
    await first.saying('edge agent started');

    const second = start();
    expect(await second.exited).toBe(75);
    expect(second.output.join('\n')).toContain(
      `another edge agent is running on the data dir ${dataDir} (pid ${first.child.pid} on`,
    );

    first.child.kill('SIGKILL');
    await first.exited;
    const third = start();
    await third.saying('took over the lock of an agent that is gone');
    await third.saying('edge agent started');
    third.child.kill('SIGTERM');
    expect(await third.exited).toBe(0);
    expect(existsSync(path.join(dataDir, 'agent.lock'))).toBe(false);
  });
});
