import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { FakeContainerRuntime } from '../container-runtime/testing/fake-container-runtime';
import type { WorkloadSettings } from '../update-machine/workload-settings';
import { warnWhenProbeTargetSilent } from './probe-target-check';

/** A workload's health endpoint on 127.0.0.1, answering `status`. */
async function healthEndpoint(status: number): Promise<{ server: Server; port: number }> {
  const server = createServer((_request, response) => response.writeHead(status).end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

function agentWith(port: number) {
  const runtime = new FakeContainerRuntime();
  runtime.addRunningContainer('opc-core', 'registry.example.com/opc-core:1.0.0');
  const workload = {
    containerName: 'opc-core',
    health: {
      settleMs: 0,
      probeTimeoutMs: 1000,
      probe: { kind: 'http', port, path: '/health', host: '127.0.0.1' },
    },
  } as WorkloadSettings;
  const warnings: Array<Record<string, unknown>> = [];
  const logger = pino(
    { level: 'warn' },
    { write: (line: string) => warnings.push(JSON.parse(line)) },
  );
  return { runtime, workload, logger, warnings };
}

describe('the probe target check at start', () => {
  it('says nothing when the running workload answers the probe', async () => {
    const { server, port } = await healthEndpoint(200);
    const { runtime, workload, logger, warnings } = agentWith(port);
    try {
      expect(await warnWhenProbeTargetSilent(runtime, workload, logger)).toBe('answered');
      expect(warnings).toEqual([]);
    } finally {
      server.close();
    }
  });

  it("warns, naming the container's port, when nothing answers there (a host port given)", async () => {
    const { server, port } = await healthEndpoint(200);
    await new Promise((resolve) => server.close(resolve));
    const { runtime, workload, logger, warnings } = agentWith(port);
    expect(await warnWhenProbeTargetSilent(runtime, workload, logger)).toBe('silent');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      healthProbePort: port,
      url: `http://127.0.0.1:${port}/health`,
    });
    expect(String(warnings[0].msg)).toContain('the port inside the container');
  });

  it('warns when the workload answers with an error status', async () => {
    const { server, port } = await healthEndpoint(503);
    const { runtime, workload, logger, warnings } = agentWith(port);
    try {
      expect(await warnWhenProbeTargetSilent(runtime, workload, logger)).toBe('silent');
      expect(warnings[0]).toMatchObject({ answer: 503 });
    } finally {
      server.close();
    }
  });

  it('does not check without an HTTP probe or a running workload', async () => {
    const { runtime, workload, logger } = agentWith(1);
    expect(
      await warnWhenProbeTargetSilent(
        runtime,
        { ...workload, health: { ...workload.health, probe: undefined } },
        logger,
      ),
    ).toBe('not checked');
    await runtime.stopContainer('opc-core');
    expect(await warnWhenProbeTargetSilent(runtime, workload, logger)).toBe('not checked');
  });
});
