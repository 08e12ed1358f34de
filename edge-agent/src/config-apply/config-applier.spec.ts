import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { configCommandFor, validOpcSettings } from '../../test/fixtures/commands';
import { ConfigApplier } from './config-applier';
import type { ReloadVerdict, WorkloadReloader } from './config-decision';
import { recordingTracer } from '../observability/testing/recording-tracer';

const address = { tenantId: 'acme', clientId: 'press-07' };
const logger = pino({ level: 'silent' });

/** A workload that reads the file on each reload and refuses it when told to. */
class RecordingWorkload implements WorkloadReloader {
  refuse: string | null = null;
  fail: Error | null = null;
  readonly seen: (string | null)[] = [];
  constructor(private readonly file: string) {}
  async reload(): Promise<ReloadVerdict> {
    if (this.fail) throw this.fail;
    this.seen.push(await readFile(this.file, 'utf8').catch(() => null));
    return this.refuse ? { accepted: false, reason: this.refuse } : { accepted: true };
  }
}

describe('ConfigApplier', () => {
  let dir: string;
  let configFile: string;
  let workload: RecordingWorkload;
  const open = () =>
    ConfigApplier.open({
      stateDir: path.join(dir, 'state'),
      configFile,
      reloader: workload,
      logger,
    });

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'config-apply-'));
    configFile = path.join(dir, 'workload-config', 'opc-client.json');
    workload = new RecordingWorkload(configFile);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('writes the file, reloads the workload and remembers the version across restarts', async () => {
    const applier = await open();
    expect(await applier.apply(configCommandFor(address, 1))).toEqual({
      phase: 'applied',
      configVersion: 1,
    });
    expect(JSON.parse(await readFile(configFile, 'utf8')).nodes[0].samplingIntervalMs).toBe(500);
    expect(workload.seen).toHaveLength(1);

    const reopened = await open();
    expect(reopened.appliedVersion()).toBe(1);
    expect(await reopened.apply(configCommandFor(address, 1))).toMatchObject({
      phase: 'rejected',
      error: { code: 'stale_version' },
    });
  });

  it('keeps the last good file when the settings are invalid, without touching the workload', async () => {
    const applier = await open();
    await applier.apply(configCommandFor(address, 1));
    const good = await readFile(configFile, 'utf8');
    const outcome = await applier.apply(configCommandFor(address, 2, { endpoints: [] }));
    expect(outcome).toMatchObject({
      phase: 'rejected',
      configVersion: 2,
      error: { code: 'invalid_config' },
    });
    expect(await readFile(configFile, 'utf8')).toBe(good);
    expect(workload.seen).toHaveLength(1);
  });

  it('restores the last good file when the workload refuses the new one', async () => {
    const applier = await open();
    await applier.apply(configCommandFor(address, 1));
    const good = await readFile(configFile, 'utf8');
    workload.refuse = 'config rejected by the workload';
    const outcome = await applier.apply(configCommandFor(address, 2, validOpcSettings(250)));
    expect(outcome).toEqual({
      phase: 'rejected',
      configVersion: 2,
      error: { code: 'workload_rejected', message: 'config rejected by the workload' },
    });
    expect(await readFile(configFile, 'utf8')).toBe(good);
    // The workload saw the new file, then the restored one.
    expect(workload.seen.slice(1).map((c) => JSON.parse(c!).nodes[0].samplingIntervalMs)).toEqual([
      250, 500,
    ]);
    expect(applier.appliedVersion()).toBe(1);
  });

  it('puts back the file provisioned before the agent when the very first config is refused', async () => {
    await mkdir(path.dirname(configFile), { recursive: true });
    await writeFile(configFile, '{"provisioned":true}');
    const applier = await open();
    workload.refuse = 'no';
    expect(await applier.apply(configCommandFor(address, 1))).toMatchObject({ phase: 'rejected' });
    expect(await readFile(configFile, 'utf8')).toBe('{"provisioned":true}');
  });

  it('treats a reload that cannot reach the workload as a rejection, and restores', async () => {
    const applier = await open();
    workload.fail = new Error('no such container: opc-core');
    const outcome = await applier.apply(configCommandFor(address, 1));
    expect(outcome).toMatchObject({
      phase: 'rejected',
      error: { code: 'workload_rejected', message: 'reload failed: no such container: opc-core' },
    });
    await expect(readFile(configFile, 'utf8')).rejects.toThrow(/ENOENT/);
    expect(applier.appliedVersion()).toBeUndefined();
  });

  it("applies as a span in the command's trace, failed when the workload refuses", async () => {
    const tracer = recordingTracer();
    const applier = await ConfigApplier.open({
      stateDir: path.join(dir, 'state'),
      configFile,
      reloader: workload,
      logger,
      tracer,
    });
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    await applier.apply({ ...configCommandFor(address, 1), traceparent });
    workload.refuse = 'sampling interval not supported';
    await applier.apply({ ...configCommandFor(address, 2), traceparent });
    expect(tracer.spans).toEqual([
      expect.objectContaining({
        name: 'config apply',
        parent: traceparent,
        attributes: expect.objectContaining({ 'opcfleet.config.outcome': 'applied' }),
        ended: true,
      }),
      expect.objectContaining({
        attributes: expect.objectContaining({ 'opcfleet.config.outcome': 'rejected' }),
        failed: expect.stringMatching(/sampling interval not supported/),
        ended: true,
      }),
    ]);
  });
});
