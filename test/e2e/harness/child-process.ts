import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { E2E_LOG_ROOT } from './paths';

export interface ProcessSpec {
  /** Names the log file: `<logDir>/<name>.log`. */
  name: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  logDir: string;
  cwd?: string;
}

/**
 * One real part of the system in its own OS process. Its stdout and stderr go to one log file
 * that survives restarts (each start is marked), so a failing test can print what it said.
 */
export class ManagedProcess {
  /** Children still alive, killed if the test runner itself exits (a timeout, Ctrl-C). */
  private static readonly live = new Set<ChildProcess>();
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  /** How the last start ended: its exit code, or null (killed by a signal, or still running). */
  exitCode: number | null = null;
  private readonly log: WriteStream;
  readonly logFile: string;
  starts = 0;

  constructor(private readonly spec: ProcessSpec) {
    mkdirSync(spec.logDir, { recursive: true });
    this.logFile = join(spec.logDir, `${spec.name}.log`);
    this.log = createWriteStream(this.logFile, { flags: 'a' });
  }

  /** SIGKILL to every child still alive; synchronous, for the runner's own exit. */
  static killAllNow(): void {
    for (const child of ManagedProcess.live) child.kill('SIGKILL');
  }

  get name(): string {
    return this.spec.name;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return Boolean(this.child && this.child.exitCode === null && this.child.signalCode === null);
  }

  start(extraEnv: Record<string, string> = {}): void {
    if (this.running) throw new Error(`${this.name} is already running`);
    this.starts += 1;
    this.exitCode = null;
    this.log.write(
      `\n=== e2e: start #${this.starts} of ${this.name} at ${new Date().toISOString()}\n`,
    );
    const child = spawn(this.spec.command, this.spec.args, {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...this.spec.env, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: this.spec.cwd,
    });
    child.stdout!.pipe(this.log, { end: false });
    child.stderr!.pipe(this.log, { end: false });
    ManagedProcess.live.add(child);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        ManagedProcess.live.delete(child);
        this.exitCode = code;
        this.log.write(`=== e2e: ${this.name} exited (code ${code}, signal ${signal})\n`);
        resolve();
      });
      child.once('error', (error) => {
        this.log.write(`=== e2e: ${this.name} could not start: ${error.message}\n`);
        resolve();
      });
    });
    this.child = child;
  }

  /** Resolves when the process started last has exited, with its exit code (null: a signal). */
  async untilExit(): Promise<number | null> {
    await this.exited;
    return this.exitCode;
  }

  /** The log written since the last start (each start is marked). */
  sinceLastStart(): string {
    try {
      const text = readFileSync(this.logFile, 'utf8');
      return text.slice(text.lastIndexOf('\n=== e2e: start #') + 1);
    } catch {
      return '';
    }
  }

  /** kill -9: no shutdown hook runs, as in a power cut or an OOM kill. */
  async kill9(): Promise<void> {
    if (!this.running) return;
    this.child!.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.child!.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  async closeLog(): Promise<void> {
    await new Promise<void>((resolve) => this.log.end(() => resolve()));
  }

  /** The last `lines` lines of the log. */
  tail(lines = 40): string {
    try {
      const text = readFileSync(this.logFile, 'utf8');
      return text.split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** Every JSON (pino) line of the log, parsed; other lines are skipped. */
  jsonLines(): Array<Record<string, unknown>> {
    let text = '';
    try {
      text = readFileSync(this.logFile, 'utf8');
    } catch {
      return [];
    }
    const lines: Array<Record<string, unknown>> = [];
    for (const line of text.split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // A line cut by a kill -9 is not JSON: nothing to read in it.
      }
    }
    return lines;
  }
}

process.once('exit', () => {
  ManagedProcess.killAllNow();
});

/** A log directory for one run of one suite. */
export function runLogDir(label: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return join(E2E_LOG_ROOT, `${stamp}-${label}-${process.pid}`);
}
