import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DataDirLockedError, SYSTEM_PROBE, lockDataDir } from './data-dir-lock';

/** The pid of a process that has ended (and whose pid nothing reuses this quickly). */
async function pidOfEndedProcess(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid!;
}

describe('data dir lock', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'agent-lock-'));
    file = path.join(dir, 'agent.lock');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('is held by one agent at a time: a second one is refused, naming the holder', async () => {
    const first = await lockDataDir(dir, file);
    const refused = await lockDataDir(dir, file).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DataDirLockedError);
    expect((refused as Error).message).toContain(`pid ${process.pid}`);
    expect((refused as Error).message).toContain(dir);
    await first.release();
    const second = await lockDataDir(dir, file);
    await second.release();
    await expect(readFile(file)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('takes over the lock of an agent that died (kill -9, power cut)', async () => {
    const dead = { ...(await holderOf(SYSTEM_PROBE)), pid: await pidOfEndedProcess() };
    await writeFile(file, JSON.stringify(dead));
    const lock = await lockDataDir(dir, file);
    expect(lock.tookOver?.pid).toBe(dead.pid);
    expect(JSON.parse(await readFile(file, 'utf8')).pid).toBe(process.pid);
    await lock.release();
  });

  it('takes over a lock from before a reboot, of a pid now used by another program, or torn', async () => {
    const me = await holderOf(SYSTEM_PROBE);
    const stale = [
      { ...me, bootId: 'another-boot' },
      { ...me, pid: process.ppid, startTicks: '1' },
    ];
    for (const holder of stale) {
      await writeFile(file, JSON.stringify(holder));
      const lock = await lockDataDir(dir, file);
      await lock.release();
    }
    await writeFile(file, '{"pid": 12');
    await (await lockDataDir(dir, file)).release();
  });

  it('counts a holder on another host as alive: it cannot be checked from here', async () => {
    await writeFile(
      file,
      JSON.stringify({ ...(await holderOf(SYSTEM_PROBE)), hostname: 'elsewhere' }),
    );
    await expect(lockDataDir(dir, file)).rejects.toBeInstanceOf(DataDirLockedError);
  });
});

async function holderOf(probe: typeof SYSTEM_PROBE) {
  return {
    pid: probe.pid,
    hostname: probe.hostname,
    bootId: await probe.bootId(),
    startTicks: await probe.startTicks(probe.pid),
    startedAt: new Date().toISOString(),
  };
}
