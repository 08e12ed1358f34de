import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PhaseReport } from '../src/update-machine/phase-reports';
import { FileSnapshotStore } from '../src/snapshot-store/file-snapshot-store';
import {
  COMMIT_PATH,
  READABLE_MACHINE_VERSIONS,
  ROLLBACK_PATH,
} from '../src/update-machine/update-machine';
import { DOCKER_HOST, WorkloadFixture, updateCommand } from './engine/workload-fixture';

jest.setTimeout(120_000);

// The harness runs from dist/ (aliases such as @opcfleet/contracts rewritten by the build):
// `npm test` builds first; run `npm run build` before running this file alone.
const HARNESS = join(
  __dirname,
  '..',
  '..',
  'dist',
  'edge-agent',
  'test',
  'crash',
  'crash-harness.js',
);
const FAILED = ['received', 'pulling', 'failed'];

/** Runs the harness as its own process; resolves with how it ended. */
function harness(
  env: Record<string, string>,
): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [HARNESS], {
      env: {
        ...process.env,
        DOCKER_HOST,
        ...env,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('exit', (code, signal) => resolve({ code, signal, stderr }));
  });
}

interface CrashCase {
  /** What the first agent process does last before it is killed. */
  point: string;
  crash: Record<string, string>;
  tag: string;
  version: string;
  expected: readonly string[];
}

const afterState = (
  state: string,
  tag: string,
  version: string,
  expected: readonly string[],
): CrashCase => ({
  point: `after ${state} is persisted`,
  crash: { EDGE_AGENT_CRASH_AFTER: state },
  tag,
  version,
  expected,
});

/** Engine changes in order: rename old, create new, stop old, start new, then remove old (commit) or remove new, rename old back, start old (rollback). */
const afterEngineChange = (
  n: number,
  what: string,
  tag: string,
  version: string,
  expected: readonly string[],
): CrashCase => ({
  point: `in mid-step, after engine change ${n} (${what})`,
  crash: { EDGE_AGENT_CRASH_AFTER_ENGINE_CALL: String(n) },
  tag,
  version,
  expected,
});

const cases: CrashCase[] = [
  ...[...COMMIT_PATH, 'probation'].map((state) => afterState(state, '2.0.0', '2.0.0', COMMIT_PATH)),
  ...['rolling_back', 'rolled_back'].map((state) =>
    afterState(state, 'crash-at-start', '3.0.0', ROLLBACK_PATH),
  ),
  afterState('failed', 'missing', '9.9.9', FAILED),
  ...['rename old aside', 'create new', 'stop old', 'start new', 'remove old'].map((what, i) =>
    afterEngineChange(i + 1, what, '2.0.0', '2.0.0', COMMIT_PATH),
  ),
  ...['remove failed new', 'rename old back'].map((what, i) =>
    afterEngineChange(i + 5, what, 'crash-at-start', '3.0.0', ROLLBACK_PATH),
  ),
];

describe('kill -9 after each persisted state and in mid-step, then restart', () => {
  it.each(cases)('converges after a kill -9 $point', async ({ crash, tag, version, expected }) => {
    const fixture = new WorkloadFixture();
    const dir = await mkdtemp(join(tmpdir(), 'crash-point-'));
    try {
      await fixture.stage('1.0.0', ...(tag === 'missing' ? [] : [tag]));
      await fixture.createWorkload('1.0.0');
      const command = updateCommand(fixture.image(tag), version);
      const env = {
        JOBS_DIR: join(dir, 'jobs'),
        REPORTS_FILE: join(dir, 'reports.jsonl'),
        CONTAINER_NAME: fixture.containerName,
        COMMAND_JSON: JSON.stringify(command),
        PROBATION_MS: '1000',
      };
      const first = await harness({ ...env, MODE: 'start', ...crash });
      expect({ signal: first.signal, stderr: first.stderr }).toEqual({
        signal: 'SIGKILL',
        stderr: '',
      });
      const second = await harness({ ...env, MODE: 'resume' });
      expect({ code: second.code, stderr: second.stderr }).toEqual({ code: 0, stderr: '' });

      const reports = (await readFile(env.REPORTS_FILE, 'utf8'))
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as PhaseReport)
        .filter((r) => !r.progress);
      expect(reports.map((r) => r.phase)).toEqual(expected);
      const loaded = await new FileSnapshotStore(env.JOBS_DIR).load(
        command.jobId,
        READABLE_MACHINE_VERSIONS,
      );
      expect(loaded.kind === 'ok' && loaded.record.state).toBe(expected.at(-1));
      const containers = await fixture.containers();
      const running = containers.filter((c) => c.State === 'running');
      expect(running.map((c) => c.Names[0]!.replace(/^\//, ''))).toEqual([fixture.containerName]);
      expect(containers).toHaveLength(1);
      expect(await fixture.health()).toBe(expected === COMMIT_PATH ? 'ok 2.0.0' : 'ok 1.0.0');
    } finally {
      await fixture.cleanup();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
