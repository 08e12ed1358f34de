/**
 * A minimal agent process for the crash-point test: runs (or resumes) one update job with the
 * real engine and the file snapshot store, appends every phase report to a file (fsynced, like
 * the link's outbox), and kills itself with SIGKILL right after the state named by
 * EDGE_AGENT_CRASH_AFTER is first persisted, or right after its Nth engine change
 * (rename, stop, start, create, remove) when EDGE_AGENT_CRASH_AFTER_ENGINE_CALL=N: a power cut
 * in the middle of a step.
 *
 * env: MODE=start|resume, JOBS_DIR, REPORTS_FILE, CONTAINER_NAME, COMMAND_JSON (start),
 *      EDGE_AGENT_CRASH_AFTER, EDGE_AGENT_CRASH_AFTER_ENGINE_CALL, DOCKER_HOST, SETTLE_MS,
 *      PROBATION_MS
 */
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import type { ContainerRuntime } from '../../src/container-runtime/container-runtime.port';
import { DockerodeRuntime } from '../../src/container-runtime/dockerode-runtime';
import { FileSnapshotStore } from '../../src/snapshot-store/file-snapshot-store';
import { silentLogger } from '../../src/update-machine/logger';
import type { PhaseReport } from '../../src/update-machine/phase-reports';
import { UpdateJobRunner } from '../../src/update-machine/update-job-runner';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

function appendReport(file: string, report: PhaseReport): void {
  const fd = openSync(file, 'a');
  try {
    writeSync(fd, `${JSON.stringify(report)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

const ENGINE_CHANGES = new Set([
  'renameContainer',
  'stopContainer',
  'startContainer',
  'createFromTemplate',
  'removeContainer',
]);

/** The runtime, killing this process right after its Nth engine change has completed. */
function crashingAfterEngineChange(runtime: ContainerRuntime, n: number): ContainerRuntime {
  let changes = 0;
  return new Proxy(runtime, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function' || !ENGINE_CHANGES.has(String(property))) return value;
      return async (...args: unknown[]) => {
        const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        if (++changes === n) process.kill(process.pid, 'SIGKILL');
        return result;
      };
    },
  });
}

async function main(): Promise<void> {
  const reportsFile = required('REPORTS_FILE');
  const crashAfter = process.env.EDGE_AGENT_CRASH_AFTER;
  let crashed = false;
  const engine = new DockerodeRuntime({ dockerHost: process.env.DOCKER_HOST });
  const crashAfterCall = Number(process.env.EDGE_AGENT_CRASH_AFTER_ENGINE_CALL ?? 0);
  const runner = new UpdateJobRunner({
    runtime: crashAfterCall ? crashingAfterEngineChange(engine, crashAfterCall) : engine,
    snapshots: new FileSnapshotStore(required('JOBS_DIR')),
    workload: {
      containerName: required('CONTAINER_NAME'),
      stopTimeoutSeconds: 5,
      health: {
        settleMs: Number(process.env.SETTLE_MS ?? 500),
        probeTimeoutMs: 3000,
        probe: { kind: 'http', port: 8080, path: '/health' },
      },
      probationMs: Number(process.env.PROBATION_MS ?? 0),
      probationCheckIntervalMs: 200,
    },
    onPhase: async (report) => appendReport(reportsFile, report),
    logger: silentLogger,
    retry: { maxPullAttempts: 1 },
    afterPersist: (state) => {
      if (state === crashAfter && !crashed) {
        crashed = true;
        process.kill(process.pid, 'SIGKILL');
      }
    },
  });
  if (process.env.MODE === 'resume') {
    await runner.resumeUnfinished();
  } else {
    const result = await runner.start(JSON.parse(required('COMMAND_JSON')));
    if (!result.accepted) throw new Error(`not accepted: ${result.reason}`);
    await runner.whenIdle();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
