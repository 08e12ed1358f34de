import { promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import * as path from 'node:path';

/** Who holds the lock: enough to tell, on this host, whether that process still runs. */
export interface LockHolder {
  pid: number;
  hostname: string;
  /** The kernel's boot id: a lock from before a reboot is stale whatever its pid. */
  bootId?: string;
  /** The process's start time in clock ticks since boot: a reused pid has another. */
  startTicks?: string;
  startedAt: string;
}

/** A second agent on the same data dir: the message says who holds it and what to do. */
export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder,
  ) {
    super(
      `another edge agent is running on the data dir ${dataDir} (pid ${holder.pid} on ${holder.hostname}, started ${holder.startedAt}): two agents must never run jobs for one device at once; stop that one first, or give this agent its own EDGE_AGENT_DATA_DIR`,
    );
    this.name = 'DataDirLockedError';
  }
}

export interface DataDirLock {
  /** Removes the lock file, if it is still this process's. */
  release(): Promise<void>;
}

export interface LockProbe {
  pid: number;
  hostname: string;
  bootId(): Promise<string | undefined>;
  startTicks(pid: number): Promise<string | undefined>;
  isRunning(pid: number): boolean;
}

const readText = (file: string) => fs.readFile(file, 'utf8').catch(() => undefined);

/** This host, as Linux's /proc tells it (fields absent elsewhere). */
export const SYSTEM_PROBE: LockProbe = {
  pid: process.pid,
  hostname: hostname(),
  bootId: async () => (await readText('/proc/sys/kernel/random/boot_id'))?.trim(),
  startTicks: async (pid) => {
    // Field 22 of /proc/<pid>/stat, counted after the command name (which may hold spaces).
    const stat = await readText(`/proc/${pid}/stat`);
    return stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  },
  isRunning: (pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
  },
};

/**
 * One daemon per data dir: the lock file (`<dataDir>/agent.lock`) is created exclusively with
 * the holder's pid, boot id and process start time. A lock whose holder is gone (a crash, a
 * power cut, a reboot, a pid reused by another program) is stale and taken over; a live one
 * makes this agent refuse to start. A holder on another host (a data dir shared over a network
 * file system) cannot be checked, so it counts as live.
 */
export async function lockDataDir(
  dataDir: string,
  file: string,
  probe: LockProbe = SYSTEM_PROBE,
): Promise<DataDirLock & { tookOver?: LockHolder }> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const me: LockHolder = {
    pid: probe.pid,
    hostname: probe.hostname,
    bootId: await probe.bootId(),
    startTicks: await probe.startTicks(probe.pid),
    startedAt: new Date().toISOString(),
  };
  const mine = JSON.stringify(me);
  let tookOver: LockHolder | undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      const handle = await fs.open(file, 'wx');
      try {
        await handle.writeFile(mine);
        await handle.sync();
      } finally {
        await handle.close();
      }
      return {
        tookOver,
        release: async () => {
          if ((await readText(file)) === mine) await fs.rm(file, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 5) throw error;
    }
    const text = await readText(file);
    if (text === undefined) continue; // released meanwhile: try again
    const holder = parseHolder(text);
    if (holder && (await isAlive(holder, me, probe))) throw new DataDirLockedError(dataDir, holder);
    // Stale (or torn by a crash mid-write): moved aside, and removed if it is what was read.
    const aside = `${file}.stale-${probe.pid}`;
    try {
      await fs.rename(file, aside);
    } catch {
      continue; // someone else moved it first
    }
    const moved = await readText(aside);
    if (moved !== text) {
      // Another agent's fresh lock got moved: put it back and let it win.
      await fs.link(aside, file).catch(() => undefined);
      await fs.rm(aside, { force: true });
      const winner = moved ? parseHolder(moved) : undefined;
      if (winner) throw new DataDirLockedError(dataDir, winner);
      continue;
    }
    await fs.rm(aside, { force: true });
    tookOver = holder ?? undefined;
  }
}

function parseHolder(text: string): LockHolder | null {
  try {
    const parsed = JSON.parse(text) as Partial<LockHolder>;
    if (typeof parsed.pid !== 'number' || typeof parsed.hostname !== 'string') return null;
    return { startedAt: 'an unknown time', ...parsed } as LockHolder;
  } catch {
    return null;
  }
}

async function isAlive(holder: LockHolder, me: LockHolder, probe: LockProbe): Promise<boolean> {
  if (holder.hostname !== me.hostname) return true;
  if (holder.bootId && me.bootId && holder.bootId !== me.bootId) return false;
  if (!probe.isRunning(holder.pid)) return false;
  // A pid in use now, by another program or by a later agent (pid 1 in a container again).
  if (holder.startTicks && holder.startTicks !== (await probe.startTicks(holder.pid))) {
    return false;
  }
  return true;
}
