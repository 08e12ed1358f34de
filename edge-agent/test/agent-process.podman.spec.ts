import { execFile, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { WorkloadFixture } from './engine/workload-fixture';
import { updateCommandFor } from './fixtures/commands';
import { AGENT_CLI, spawnAgent } from './support/agent-process';
import { ServiceSide } from './support/service-side';

jest.setTimeout(240_000);

const MQTT_URL = process.env.TEST_MOSQUITTO_URL ?? 'mqtt://127.0.0.1:1884';
const CLI = AGENT_CLI;
const run = promisify(execFile);

/**
 * The built `edge-agent` as a process: killed with SIGKILL in the middle of an update, started
 * again, it converges and the service sees every report once in order (after dedupe by seq).
 * Needs `npm run build` first (npm test does it).
 */
describe('edge-agent process (built CLI) on Podman and Mosquitto', () => {
  let fixture: WorkloadFixture;
  let dataDir: string;
  let service: ServiceSide;
  const children: ChildProcess[] = [];
  const address = { tenantId: `t-${randomUUID().slice(0, 12)}`, clientId: 'press-07' };

  function startProcess(): ChildProcess {
    const child = spawnAgent({ address, mqttUrl: MQTT_URL, dataDir, fixture });
    children.push(child);
    return child;
  }
  const exited = (child: ChildProcess) =>
    new Promise<number | null>((resolve) =>
      child.exitCode !== null || child.signalCode
        ? resolve(child.exitCode)
        : child.once('exit', (code) => resolve(code)),
    );
  const cli = async (...args: string[]) =>
    (await run(process.execPath, [CLI, ...args, '--data-dir', dataDir])).stdout;

  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  });
  beforeEach(async () => {
    fixture = new WorkloadFixture();
    dataDir = await mkdtemp(path.join(tmpdir(), 'agent-process-'));
    service = await ServiceSide.connect(MQTT_URL, address, 5);
  });
  afterEach(async () => {
    for (const child of children.splice(0)) {
      if (child.exitCode === null && !child.signalCode) {
        child.kill('SIGKILL');
        await exited(child);
      }
    }
    await service.clearRetained();
    await service.close();
    await fixture.cleanup();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('converges after SIGKILL in the middle of a swap, with the report stream complete and in order', async () => {
    await fixture.stage('1.0.0', '2.0.0');
    await fixture.createWorkload('1.0.0');
    const first = startProcess();
    await service.until('online', () => service.presence.at(-1)?.status === 'online', 30_000);

    const command = updateCommandFor(address, {
      payload: { targetVersion: '2.0.0', image: fixture.image('2.0.0') },
    });
    await service.send('update', command);
    await service.until(
      'stopping_old',
      () => service.reportsOf(command.jobId).some((r) => r.phase === 'stopping_old'),
      60_000,
    );
    first.kill('SIGKILL');
    await exited(first);
    await service.until(
      'offline (last will)',
      () => service.presence.at(-1)?.status === 'offline',
      60_000,
    );

    startProcess();
    await service.until(
      'committed',
      () => service.reportsOf(command.jobId).some((r) => r.phase === 'committed'),
      120_000,
    );
    const firstArrivals = service
      .reportsOf(command.jobId)
      .filter((r, i, all) => all.findIndex((o) => o.seq === r.seq) === i);
    expect(firstArrivals.map((r) => r.seq)).toEqual(firstArrivals.map((_, i) => i + 1));
    expect(firstArrivals.at(-1)!.phase).toBe('committed');
    expect(await fixture.health()).toBe('ok 2.0.0');
    const running = (await fixture.containers()).filter((c) => c.State === 'running');
    expect(running).toHaveLength(1);

    const status = await cli('status');
    expect(status).toMatch(/ended committed|committed/);
    const inspected = JSON.parse(await cli('inspect', command.jobId, '--json'));
    expect(inspected).toMatchObject({ jobId: command.jobId, kind: 'update', state: 'committed' });
    expect(inspected.snapshot.record.log.map((t: { to: string }) => t.to)).toContain(
      'stopping_old',
    );
    expect(await cli('history')).toContain(command.jobId);
  });

  it('stops on SIGTERM, saying offline itself', async () => {
    await fixture.stage('1.0.0');
    await fixture.createWorkload('1.0.0');
    const child = startProcess();
    await service.until('online', () => service.presence.at(-1)?.status === 'online', 30_000);
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
    await service.until('offline', () => service.presence.at(-1)?.status === 'offline');
  });
});
