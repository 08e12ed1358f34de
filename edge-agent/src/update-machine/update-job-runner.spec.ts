import { randomUUID } from 'node:crypto';
import type { UpdateCommand } from '@opcfleet/contracts';
import { RuntimeError } from '../container-runtime/container-runtime.port';
import {
  FakeContainerRuntime,
  type FakeBehaviour,
} from '../container-runtime/testing/fake-container-runtime';
import { MemorySnapshotStore } from '../snapshot-store/testing/memory-snapshot-store';
import { silentLogger } from './logger';
import type { PhaseReport } from './phase-reports';
import { UpdateJobRunner, type UpdateJobRunnerDeps } from './update-job-runner';
import { recordingLogger } from './testing/recording-logger';
import type { WorkloadSettings } from './workload-settings';
import { REPLACES_LABEL } from './effects/effect';
import { COMMIT_PATH, MACHINE_VERSION, ROLLBACK_PATH } from './update-machine';
import { recordingTracer } from '../observability/testing/recording-tracer';

const NAME = 'opc-core';
const OLD = 'registry.test/opc-core:1.0.0';
const NEW = 'registry.test/opc-core:2.0.0';

function command(
  overrides: Partial<UpdateCommand['payload']> = {},
  extra: Partial<UpdateCommand> = {},
): UpdateCommand {
  return {
    schema: 'opcfleet.command.update/v1',
    messageId: randomUUID(),
    jobId: randomUUID(),
    tenantId: 't1',
    clientId: 'c1',
    correlationId: `corr-${randomUUID()}`,
    issuedAt: new Date().toISOString(),
    payload: { targetVersion: '2.0.0', image: NEW, ...overrides },
    ...extra,
  };
}

function setup(
  newBehaviour: FakeBehaviour = 'healthy',
  store = new MemorySnapshotStore(),
  runtime = new FakeContainerRuntime(),
  workload: Partial<WorkloadSettings> = {},
  extra: Partial<UpdateJobRunnerDeps> = {},
) {
  if (runtime.containers.size === 0) {
    runtime.addRunningContainer(NAME, OLD);
    runtime.registry.set(NEW, { behaviour: newBehaviour, digest: `sha256:${'b'.repeat(64)}` });
  }
  const reports: PhaseReport[] = [];
  const runner = new UpdateJobRunner({
    runtime,
    snapshots: store,
    workload: {
      containerName: NAME,
      health: {
        settleMs: 20,
        probeTimeoutMs: 60,
        probeIntervalMs: 10,
        probe: { kind: 'exec', command: ['true'] },
      },
      probationMs: 20,
      probationCheckIntervalMs: 5,
      ...workload,
    },
    onPhase: async (r) => {
      reports.push(r);
    },
    logger: silentLogger,
    retry: { backoffBaseMs: 1, backoffCapMs: 5 },
    ...extra,
  });
  return { runtime, store, runner, reports };
}

const phases = (reports: PhaseReport[]) => reports.filter((r) => !r.progress).map((r) => r.phase);

describe('UpdateJobRunner (fake engine)', () => {
  it('says when a job stops running, once it is no longer current', async () => {
    const seen: Array<string | null> = [];
    const { runner } = setup('healthy', undefined, undefined, undefined, {
      onIdle: () => seen.push(runner.current()?.state ?? null),
    });
    await runner.start(command());
    await runner.whenIdle();
    expect(seen).toEqual([null]);
  });

  it('swaps to the new image, keeping the old container renamed until commit, then drops it', async () => {
    const { runtime, runner, reports } = setup();
    const oldId = [...runtime.containers.keys()][0]!;
    expect(await runner.start(command())).toEqual({ accepted: true });
    await runner.whenIdle();
    expect(phases(reports)).toEqual(COMMIT_PATH);
    expect(reports.at(-1)!.version).toBe('2.0.0');
    const running = runtime.running();
    expect(running).toHaveLength(1);
    expect(running[0]!.name).toBe(NAME);
    expect(running[0]!.imageRef).toBe(NEW);
    expect(running[0]!.env).toEqual(['SITE=plant-1']);
    expect(running[0]!.labels.origin).toBe('device');
    expect(runtime.containers.has(oldId)).toBe(false);
    // The old image stays for a manual rollback.
    expect(await runtime.inspectImage(OLD)).not.toBeNull();
    // The old container was created-from before it was stopped: downtime is stop + start only.
    const create = runtime.calls.findIndex((c) => c.startsWith('create'));
    const stop = runtime.calls.findIndex((c) => c.startsWith('stop'));
    expect(create).toBeLessThan(stop);
  });

  it('reports pull progress between pulling and pulled', async () => {
    const { runner, reports } = setup();
    await runner.start(command());
    await runner.whenIdle();
    const progress = reports.filter((r) => r.progress);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress[0]!.phase).toBe('pulling');
  });

  it('fails without touching anything when the image is missing', async () => {
    const { runtime, runner, reports } = setup();
    await runner.start(command({ image: 'registry.test/opc-core:9.9.9' }));
    await runner.whenIdle();
    expect(phases(reports)).toEqual(['received', 'pulling', 'failed']);
    expect(reports.at(-1)!.error?.code).toBe('image_not_found');
    expect(runtime.calls.filter((c) => /stop|rename|create/.test(c))).toEqual([]);
  });

  it('retries an unreachable registry with back-off, then fails', async () => {
    const { runtime, runner, reports } = setup();
    runtime.pullFailure = new RuntimeError(
      'registry_unreachable',
      'dial tcp: connection refused',
      true,
    );
    await runner.start(command());
    await runner.whenIdle();
    expect(phases(reports)).toEqual(['received', 'pulling', 'pulling', 'pulling', 'failed']);
    expect(reports.filter((r) => !r.progress)[2]!.error?.code).toBe('registry_unreachable');
    expect(runtime.calls.filter((c) => c.startsWith('pull'))).toHaveLength(3);
  });

  it('fails on a digest mismatch before anything stops', async () => {
    const { runtime, runner, reports } = setup();
    await runner.start(command({ imageDigest: `sha256:${'c'.repeat(64)}` }));
    await runner.whenIdle();
    expect(phases(reports).at(-1)).toBe('failed');
    expect(reports.at(-1)!.error?.code).toBe('digest_mismatch');
    expect(runtime.running()[0]!.imageRef).toBe(OLD);
  });

  it('fails early when the disk is too full for the image', async () => {
    const { runtime, runner, reports } = setup();
    runtime.freeBytes = 500;
    await runner.start(command());
    await runner.whenIdle();
    expect(phases(reports)).toEqual(['received', 'failed']);
    expect(reports.at(-1)!.error?.code).toBe('insufficient_disk');
  });

  it.each<[FakeBehaviour, string]>([
    ['crash', 'exited with code 1'],
    ['unhealthy', 'unhealthy'],
  ])('rolls back when the new version is %s', async (behaviour, why) => {
    const { runtime, runner, reports } = setup(behaviour);
    const oldId = [...runtime.containers.keys()][0]!;
    await runner.start(command());
    await runner.whenIdle();
    expect(phases(reports)).toEqual(ROLLBACK_PATH);
    expect(reports.at(-1)!.error?.message).toContain(why);
    expect(reports.at(-1)!.version).toBe('1.0.0');
    const running = runtime.running();
    expect(running.map((c) => [c.id, c.name])).toEqual([[oldId, NAME]]);
    expect(runtime.containers.size).toBe(1);
  });

  it('refuses a second update while one runs, and a job id it has seen', async () => {
    const { runner, reports } = setup();
    const first = command();
    expect(await runner.start(first)).toEqual({ accepted: true });
    const second = await runner.start(command());
    expect(second).toMatchObject({
      accepted: false,
      reason: expect.stringContaining('in progress'),
    });
    await runner.whenIdle();
    const count = reports.length;
    expect(await runner.start(first)).toMatchObject({
      accepted: false,
      reason: expect.stringContaining('already received'),
    });
    await runner.whenIdle();
    expect(reports).toHaveLength(count);
  });

  it('takes the next update as soon as the last one reported its outcome, while it still tidies up', async () => {
    const { runtime, runner, reports } = setup();
    const NEXT = 'registry.test/opc-core:3.0.0';
    runtime.registry.set(NEXT, { behaviour: 'healthy', digest: `sha256:${'c'.repeat(64)}` });
    const first = command();
    const next = command({ targetVersion: '3.0.0', image: NEXT });
    let nextStarted: Promise<unknown> | undefined;
    // What the service does: it sees `committed`, counts the job as over and sends the next one.
    const seen = reports.push.bind(reports);
    reports.push = (...items) => {
      if (items.some((r) => r.jobId === first.jobId && r.phase === 'committed')) {
        nextStarted = runner.start(next);
      }
      return seen(...items);
    };

    expect(await runner.start(first)).toEqual({ accepted: true });
    await runner.whenIdle();
    expect(await nextStarted).toEqual({ accepted: true });
    await runner.whenIdle();
    const nextPhases = reports.filter((r) => r.jobId === next.jobId && !r.progress);
    expect(nextPhases.map((r) => r.phase)).toEqual(COMMIT_PATH);
    expect(runtime.running().map((c) => c.imageRef)).toEqual([NEXT]);
  });

  it('stops the old container again when the engine restarts it after the stop, then starts the new one', async () => {
    const runtime = new FakeContainerRuntime();
    const oldId = runtime.addRunningContainer(NAME, OLD, 'healthy', 8080);
    runtime.registry.set(NEW, { behaviour: 'healthy', digest: `sha256:${'b'.repeat(64)}` });
    // The first stops are undone by a restart policy, and the old one holds the port again.
    runtime.comesBackAfterStop.set(oldId, 3);
    const { runner, reports } = setup('healthy', new MemorySnapshotStore(), runtime, {
      oldContainerQuietMs: 10,
    });
    await runner.start(command());
    await runner.whenIdle();
    expect(phases(reports)).toEqual(COMMIT_PATH);
    expect(runtime.running().map((c) => c.imageRef)).toEqual([NEW]);
    expect(runtime.calls.filter((c) => c.startsWith('start'))).toHaveLength(2);
  });

  describe('an old container the engine restarts after every stop', () => {
    function restartingForever(newBehaviour: FakeBehaviour) {
      const runtime = new FakeContainerRuntime();
      const oldId = runtime.addRunningContainer(NAME, OLD, 'healthy', 8080);
      runtime.registry.set(NEW, { behaviour: newBehaviour, digest: `sha256:${'b'.repeat(64)}` });
      runtime.comesBackAfterStop.set(oldId, Number.POSITIVE_INFINITY);
      const agent = setup(newBehaviour, new MemorySnapshotStore(), runtime, {
        oldContainerQuietMs: 10,
      });
      return { ...agent, oldId };
    }

    it('is replaced by a stopped copy, so the new one gets its port and commits', async () => {
      const { runtime, runner, reports, oldId } = restartingForever('healthy');
      await runner.start(command());
      await runner.whenIdle();
      expect(phases(reports)).toEqual(COMMIT_PATH);
      expect(runtime.containers.has(oldId)).toBe(false);
      expect([...runtime.containers.values()].map((c) => [c.name, c.imageRef, c.running])).toEqual([
        [NAME, NEW, true],
      ]);
    });

    it('comes back as its copy when the new version fails', async () => {
      const { runtime, runner, reports, oldId } = restartingForever('crash');
      await runner.start(command());
      await runner.whenIdle();
      expect(phases(reports)).toEqual(ROLLBACK_PATH);
      const running = runtime.running();
      expect(running.map((c) => [c.name, c.labels[REPLACES_LABEL], c.env])).toEqual([
        [NAME, oldId, ['SITE=plant-1']],
      ]);
      expect(running[0]!.imageId).toBe((await runtime.inspectImage(OLD))!.id);
    });
  });

  it('times out a step that hangs and rolls back', async () => {
    const { runtime, store, reports } = setup();
    const runner = new UpdateJobRunner({
      runtime,
      snapshots: store,
      workload: { containerName: NAME, health: { settleMs: 10_000, probeTimeoutMs: 10 } },
      onPhase: async (r) => void reports.push(r),
      logger: silentLogger,
      deadlines: { verifying: 50 },
    });
    await runner.start(command());
    await runner.whenIdle();
    expect(phases(reports).slice(-2)).toEqual(['rolling_back', 'rolled_back']);
    expect(reports.at(-1)!.error?.code).toBe('timeout');
  });

  describe('a container engine that goes away for a while', () => {
    const ENGINE_AWAY = /container engine unavailable/;

    it('waits for it mid-download and goes on: no failure, no phase reported twice or going back', async () => {
      const log = recordingLogger();
      const { runtime, runner, reports } = setup(
        'healthy',
        undefined,
        undefined,
        {},
        { logger: log.logger },
      );
      let release!: () => void;
      runtime.pullGate = new Promise<void>((resolve) => (release = resolve));
      const cmd = command();
      await runner.start(cmd);
      while (runner.current()?.state !== 'pulling') await new Promise((r) => setTimeout(r, 2));
      runtime.engineDown = true;
      release();
      await log.waitFor(ENGINE_AWAY);
      runtime.pullGate = null;
      runtime.engineDown = false;
      await runner.whenIdle();
      expect(phases(reports)).toEqual(COMMIT_PATH);
      expect(reports.some((r) => r.error)).toBe(false);
      const bytes = reports.filter((r) => r.progress).map((r) => r.progress!.bytes);
      expect(bytes).toEqual([...bytes].sort((a, b) => a - b));
      expect(runtime.calls.filter((c) => c.startsWith('pull'))).toHaveLength(2);
      expect(log.messages).toContain('container engine is back: the step went on');
    });

    it('waits for it in the middle of the swap instead of rolling back', async () => {
      const log = recordingLogger();
      const agent = setup(
        'healthy',
        undefined,
        undefined,
        {},
        {
          logger: log.logger,
          afterPersist: (state) => {
            if (state === 'starting_new' && !away) {
              away = true;
              agent.runtime.engineDown = true;
              void log.waitFor(ENGINE_AWAY).then(() => (agent.runtime.engineDown = false));
            }
          },
        },
      );
      let away = false;
      await agent.runner.start(command());
      await agent.runner.whenIdle();
      expect(away).toBe(true);
      expect(phases(agent.reports)).toEqual(COMMIT_PATH);
      expect(agent.runtime.running().map((c) => c.imageRef)).toEqual([NEW]);
    });

    it('fails the job naming the engine when it is still away at the step deadline, nothing changed', async () => {
      const { runtime, runner, reports } = setup(
        'healthy',
        undefined,
        undefined,
        {},
        {
          deadlines: { pulling: 150 },
          afterPersist: (state) => {
            if (state === 'pulling') runtime.engineDown = true;
          },
        },
      );
      await runner.start(command());
      await runner.whenIdle();
      expect(phases(reports)).toEqual(['received', 'pulling', 'failed']);
      expect(reports.at(-1)!.error).toMatchObject({
        code: 'engine_unavailable',
        message: expect.stringContaining('ENOENT'),
      });
      runtime.engineDown = false;
      expect(runtime.running().map((c) => c.imageRef)).toEqual([OLD]);
    });

    it('pulls an image that vanished before the swap again, without going back to pulling', async () => {
      const agent = setup(
        'healthy',
        undefined,
        undefined,
        {},
        {
          afterPersist: (state, record) => {
            if (state === 'pulled' && !gone) {
              gone = true;
              agent.runtime.images.delete(record.context.newImageId!);
            }
          },
        },
      );
      let gone = false;
      await agent.runner.start(command());
      await agent.runner.whenIdle();
      expect(gone).toBe(true);
      expect(phases(agent.reports)).toEqual(COMMIT_PATH);
      expect(agent.runtime.running().map((c) => c.imageRef)).toEqual([NEW]);
    });
    it('pulls the image again when it lost its name just before the new container is created', async () => {
      let untagged = false;
      const agent = setup(
        'healthy',
        undefined,
        undefined,
        {},
        {
          afterPersist: (state, record) => {
            if (state !== 'stopping_old' || untagged) return;
            untagged = true;
            // As a concurrent `podman untag` on an older Podman can: the image stays, its name goes.
            const image = agent.runtime.images.get(record.context.newImageId!)!;
            image.repoTags = image.repoTags.filter((tag) => tag !== NEW);
          },
        },
      );
      await agent.runner.start(command());
      await agent.runner.whenIdle();
      expect(untagged).toBe(true);
      expect(phases(agent.reports)).toEqual(COMMIT_PATH);
      expect(agent.runtime.running().map((c) => c.imageRef)).toEqual([NEW]);
      expect(
        agent.runtime.calls.filter((call) => call.startsWith(`create opc-core ${NEW}`)),
      ).toHaveLength(2);
    });
  });

  describe('probation after the health check', () => {
    /** The runner of setup(), with a hook on the first state saved after `verifying`. */
    function withProbation(
      probationMs: number,
      afterHealthCheck: (runtime: FakeContainerRuntime, state: string) => void,
    ) {
      const agent = setup('healthy', new MemorySnapshotStore(), new FakeContainerRuntime(), {
        probationMs,
      });
      let previous = '';
      const runner = new UpdateJobRunner({
        runtime: agent.runtime,
        snapshots: agent.store,
        workload: {
          containerName: NAME,
          health: { settleMs: 20, probeTimeoutMs: 60, probeIntervalMs: 10 },
          probationMs,
          probationCheckIntervalMs: 5,
        },
        onPhase: async (r) => void agent.reports.push(r),
        logger: silentLogger,
        afterPersist: (state) => {
          if (previous === 'verifying' && state !== 'verifying')
            afterHealthCheck(agent.runtime, state);
          previous = state;
        },
      });
      return { ...agent, runner };
    }
    const newContainer = (runtime: FakeContainerRuntime) =>
      [...runtime.containers.values()].find((c) => c.name === NAME && c.imageRef === NEW)!;

    it('keeps the old container, stopped, until the probation ends, then commits reporting the usual phases', async () => {
      let seenInProbation: { state: string; old: boolean; oldRunning: boolean } | undefined;
      const { runtime, runner, reports } = withProbation(150, (rt, state) => {
        const old = [...rt.containers.values()].find((c) => c.imageRef === OLD);
        seenInProbation = { state, old: !!old, oldRunning: !!old?.running };
      });
      const started = Date.now();
      await runner.start(command());
      await runner.whenIdle();
      expect(seenInProbation).toEqual({ state: 'probation', old: true, oldRunning: false });
      expect(Date.now() - started).toBeGreaterThanOrEqual(150);
      expect(phases(reports)).toEqual(COMMIT_PATH);
      expect([...runtime.containers.values()].map((c) => c.imageRef)).toEqual([NEW]);
    });

    it.each([
      [
        'exits',
        (c: ReturnType<typeof newContainer>) => Object.assign(c, { running: false, exitCode: 137 }),
        'exited with code 137',
      ],
      [
        'restarts',
        (c: ReturnType<typeof newContainer>) =>
          Object.assign(c, { restartCount: c.restartCount + 1 }),
        'restarting',
      ],
      [
        'turns unhealthy',
        (c: ReturnType<typeof newContainer>) => Object.assign(c, { health: 'unhealthy' }),
        'unhealthy',
      ],
    ])(
      'rolls back on its own when the new version %s after passing its health check',
      async (_what, fault, why) => {
        const { runtime, runner, reports } = withProbation(5_000, (rt) => {
          setTimeout(() => fault(newContainer(rt)), 30);
        });
        const oldId = [...runtime.containers.keys()][0]!;
        await runner.start(command());
        await runner.whenIdle();
        expect(phases(reports)).toEqual(ROLLBACK_PATH);
        expect(reports.at(-1)!.error).toMatchObject({
          code: 'probation_failed',
          message: expect.stringContaining(why),
        });
        expect(runtime.running().map((c) => [c.id, c.name])).toEqual([[oldId, NAME]]);
        expect(runtime.containers.size).toBe(1);
      },
    );
  });

  it('resumes a job saved by machine version 1, before probation existed, and commits it', async () => {
    const reference = setup();
    const cmd = command();
    await reference.runner.start(cmd);
    await reference.runner.whenIdle();
    // The last save in `verifying`: its report is out, its health check not done yet.
    const atVerifying = reference.store.history.filter((r) => r.state === 'verifying').at(-1)!;
    const { probationMs: _dropped, ...v1Context } = atVerifying.context as Record<string, unknown>;
    const restarted = setup('healthy', new MemorySnapshotStore(), reference.runtime);
    await restarted.store.save({ ...atVerifying, machineVersion: 1, context: v1Context });
    await restarted.runner.resumeUnfinished();
    expect(phases(restarted.reports)).toEqual(['committed']);
    expect(restarted.store.records.get(cmd.jobId)!.state).toBe('committed');
  });

  describe('cancel', () => {
    /** A pull that hangs until `release()`: the job sits in `pulling`. */
    function slowPull(runtime: FakeContainerRuntime) {
      let release!: () => void;
      runtime.pullGate = new Promise<void>((resolve) => (release = resolve));
      return () => release();
    }
    const inState = async (runner: UpdateJobRunner, state: string) => {
      while (runner.current()?.state !== state) await new Promise((r) => setTimeout(r, 2));
    };

    it('stops a job mid-pull, leaves the workload alone, and saves it as cancelled', async () => {
      const { runtime, store, runner, reports } = setup();
      const release = slowPull(runtime);
      const cmd = command();
      await runner.start(cmd);
      await inState(runner, 'pulling');

      expect(await runner.requestCancel(cmd.jobId)).toEqual({ outcome: 'cancelled' });
      await runner.whenIdle();
      release();

      expect(phases(reports)).toEqual(['received', 'pulling', 'cancelled']);
      expect(runtime.calls.filter((c) => /stop|rename|create/.test(c))).toEqual([]);
      expect(runtime.running().map((c) => c.imageRef)).toEqual([OLD]);
      const record = store.records.get(cmd.jobId)!;
      expect(record.state).toBe('cancelled');
      expect(record.reportedThrough).toBe(record.log.length);
      // Asking again is harmless; a restart finds nothing to resume.
      expect(await runner.requestCancel(cmd.jobId)).toEqual({
        outcome: 'too_late',
        state: 'cancelled',
      });
      const restarted = setup('healthy', store, runtime);
      await restarted.runner.resumeUnfinished();
      expect(restarted.reports).toEqual([]);
    });

    it('carries on past the point of no return', async () => {
      const { store, runtime, reports } = setup();
      const cmd = command();
      let asked: Promise<unknown> | undefined;
      const runner = new UpdateJobRunner({
        runtime,
        snapshots: store,
        workload: { containerName: NAME, health: { settleMs: 20, probeTimeoutMs: 60 } },
        onPhase: async (r) => void reports.push(r),
        logger: silentLogger,
        afterPersist: (state) => {
          if (state === 'stopping_old') asked ??= runner.requestCancel(cmd.jobId);
        },
      });
      await runner.start(cmd);
      await runner.whenIdle();
      expect(await asked).toEqual({ outcome: 'too_late', state: 'stopping_old' });
      expect(phases(reports)).toEqual(COMMIT_PATH);
    });

    it('stops a job cut short by a power cut as soon as it resumes, without pulling again', async () => {
      const first = setup();
      const cmd = command();
      const crashed = new UpdateJobRunner({
        runtime: first.runtime,
        snapshots: first.store,
        workload: { containerName: NAME, health: { settleMs: 20, probeTimeoutMs: 60 } },
        onPhase: async (r) => void first.reports.push(r),
        logger: silentLogger,
        afterPersist: (state) => {
          if (state === 'pulling') throw new PowerCut();
        },
      });
      await crashed.start(cmd).catch(() => undefined);
      await crashed.whenIdle();
      expect(first.store.records.get(cmd.jobId)!.state).toBe('pulling');
      // The agent restarts knowing the cancel (its ledger): the job stops when it resumes.
      const restarted = setup('healthy', first.store, first.runtime);
      const pullsBefore = first.runtime.calls.filter((c) => c.startsWith('pull')).length;
      expect(await restarted.runner.requestCancel(cmd.jobId)).toEqual({ outcome: 'pending' });
      await restarted.runner.resumeUnfinished();
      expect(phases(restarted.reports)).toEqual(['pulling', 'cancelled']);
      expect(first.runtime.calls.filter((c) => c.startsWith('pull')).length).toBe(pullsBefore);
      expect(first.runtime.running().map((c) => c.imageRef)).toEqual([OLD]);
      expect(await restarted.runner.requestCancel(randomUUID())).toEqual({ outcome: 'unknown' });
    });
  });

  describe('failure evidence', () => {
    const SECRET_LINES = [
      'connecting to opc.tcp://plc-1:4840 as operator password=hunter2',
      'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig',
      'health endpoint not ready',
    ];

    it('a version failing its health check is rolled back with its log tail and the agent lines, redacted', async () => {
      const { runtime, runner, reports } = setup('unhealthy');
      runtime.imageLogs.set(NEW, SECRET_LINES);
      await runner.start(command());
      await runner.whenIdle();
      expect(phases(reports)).toEqual(ROLLBACK_PATH);
      const last = reports.at(-1)!;
      expect(last.phase).toBe('rolled_back');
      expect(last.evidence).toBeDefined();
      const { workloadLog, agentLog, truncated } = last.evidence!;
      expect(workloadLog).toEqual([
        `${NEW} starting (unhealthy)`,
        'connecting to opc.tcp://plc-1:4840 as operator password=[REDACTED]',
        'Authorization: Bearer [REDACTED]',
        'health endpoint not ready',
      ]);
      expect(truncated).toBe(false);
      expect(JSON.stringify(last.evidence)).not.toMatch(/hunter2|eyJhbGci/);
      // What the agent did: the failed step, the removal, the rollback's end, in order.
      const said = agentLog.join('\n');
      expect(said).toMatch(/update job transition from=verifying to=rolling_back/);
      expect(said).toMatch(/removing the failed new container/);
      expect(said).toMatch(/to=rolled_back/);
      expect(said.indexOf('to=rolling_back')).toBeLessThan(said.indexOf('removing'));
      // The failed container is gone, its log with it: the evidence was read before.
      expect(runtime.containers.size).toBe(1);
      expect(reports.filter((r) => r.evidence).map((r) => r.phase)).toEqual(['rolled_back']);
    });

    it('keeps the newest lines within the bounds and says it cut', async () => {
      const { runtime, runner, reports } = setup('crash');
      runtime.imageLogs.set(
        NEW,
        Array.from({ length: 80 }, (_, i) => `line ${i} ${'x'.repeat(300)}`),
      );
      await runner.start(command());
      await runner.whenIdle();
      const evidence = reports.at(-1)!.evidence!;
      expect(evidence.truncated).toBe(true);
      expect(evidence.workloadLog.length).toBeLessThanOrEqual(50);
      expect(evidence.workloadLog.join('').length).toBeLessThanOrEqual(8 * 1024);
      expect(evidence.workloadLog.at(-1)).toBe(`${NEW} exiting with code 1`);
    });

    it('survives a power cut after the rollback began: the resumed agent reports it', async () => {
      const first = setup('crash');
      first.runtime.imageLogs.set(NEW, ['fatal: cannot open /data/db password=hunter2']);
      const cmd = command();
      const crashed = new UpdateJobRunner({
        runtime: first.runtime,
        snapshots: first.store,
        workload: {
          containerName: NAME,
          health: { settleMs: 20, probeTimeoutMs: 60, probeIntervalMs: 10 },
        },
        onPhase: async (r) => void first.reports.push(r),
        logger: silentLogger,
        afterPersist: (state) => {
          if (state === 'rolling_back') throw new PowerCut();
        },
      });
      await crashed.start(cmd);
      await crashed.whenIdle();
      expect(first.store.records.get(cmd.jobId)!.evidence?.workloadLog).toContain(
        'fatal: cannot open /data/db password=[REDACTED]',
      );
      const restarted = setup('crash', first.store, first.runtime);
      await restarted.runner.resumeUnfinished();
      const last = restarted.reports.at(-1)!;
      expect(last.phase).toBe('rolled_back');
      expect(last.evidence?.workloadLog).toContain(
        'fatal: cannot open /data/db password=[REDACTED]',
      );
      expect(last.evidence?.agentLog.join('\n')).toMatch(/resuming an unfinished update job/);
    });

    it('a pull that fails carries only the agent lines; a commit carries none', async () => {
      const failing = setup();
      failing.runtime.pullFailure = new RuntimeError('image_not_found', 'manifest unknown');
      await failing.runner.start(command());
      await failing.runner.whenIdle();
      const failed = failing.reports.at(-1)!;
      expect(failed.phase).toBe('failed');
      expect(failed.evidence?.workloadLog).toEqual([]);
      expect(failed.evidence?.agentLog.join('\n')).toMatch(/to=failed/);

      const healthy = setup();
      await healthy.runner.start(command());
      await healthy.runner.whenIdle();
      expect(healthy.reports.some((r) => r.evidence)).toBe(false);
    });

    it('applies the configured redaction patterns to both sources', async () => {
      const { runtime, runner, reports } = setup('crash', undefined, undefined, undefined, {
        evidence: {
          workloadLines: 50,
          redaction: [new RegExp(String.raw`(?<keep>site=)\S+`, 'gi')],
        },
      });
      runtime.imageLogs.set(NEW, ['site=plant-7 password=visible-without-defaults']);
      await runner.start(command());
      await runner.whenIdle();
      const { workloadLog } = reports.at(-1)!.evidence!;
      expect(workloadLog).toContain('site=[REDACTED] password=visible-without-defaults');
    });
  });

  describe('traces', () => {
    const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

    it("makes each step a span in the command's trace, and reports carry the trace back", async () => {
      const tracer = recordingTracer();
      const { runner, reports, store } = setup('healthy', undefined, undefined, undefined, {
        tracer,
      });
      const cmd = command({}, { traceparent: TRACEPARENT });
      await runner.start(cmd);
      await runner.whenIdle();
      expect(tracer.spans.map((s) => s.name)).toEqual([
        'update prepare',
        'update pull',
        'update pull: confirm',
        'update swap: stop old',
        'update swap: start new',
        'update health check',
        'update probation',
        'update commit',
      ]);
      expect(tracer.spans.every((s) => s.parent === TRACEPARENT && s.ended && !s.failed)).toBe(
        true,
      );
      expect(tracer.spans[1]!.attributes).toMatchObject({
        'opcfleet.job.id': cmd.jobId,
        'opcfleet.update.state': 'pulling',
        'opcfleet.update.outcome': 'PULLED',
      });
      expect(reports.every((r) => r.traceparent === TRACEPARENT)).toBe(true);
      const saved = store.records.get(cmd.jobId)!.context as { traceparent?: string };
      expect(saved.traceparent).toBe(TRACEPARENT);
    });

    it('marks a failed health check and the rollback in the trace', async () => {
      const tracer = recordingTracer();
      const { runner } = setup('crash', undefined, undefined, undefined, { tracer });
      await runner.start(command({}, { traceparent: TRACEPARENT }));
      await runner.whenIdle();
      const names = tracer.spans.map((s) => s.name);
      expect(names).toContain('update rollback');
      expect(names).not.toContain('update commit');
      expect(tracer.spans.find((s) => s.failed)?.name).toMatch(/health check|swap/);
    });

    it('continues the trace of a job resumed after a power cut', async () => {
      const first = setup('healthy');
      const cmd = command({}, { traceparent: TRACEPARENT });
      let saves = 0;
      const crashed = new UpdateJobRunner({
        runtime: first.runtime,
        snapshots: first.store,
        workload: { containerName: NAME, health: { settleMs: 20, probeTimeoutMs: 60 } },
        onPhase: async () => undefined,
        logger: silentLogger,
        afterPersist: () => {
          if (saves++ === 3) throw new PowerCut();
        },
      });
      await crashed.start(cmd).catch(() => undefined);
      await crashed.whenIdle();

      const tracer = recordingTracer();
      const restarted = setup('healthy', first.store, first.runtime, undefined, { tracer });
      await restarted.runner.resumeUnfinished();
      expect(tracer.spans.length).toBeGreaterThan(0);
      expect(tracer.spans.every((s) => s.parent === TRACEPARENT)).toBe(true);
      expect(tracer.spans[0]!.attributes['opcfleet.update.resumed']).toBe(true);
      expect(tracer.spans.slice(1).some((s) => s.attributes['opcfleet.update.resumed'])).toBe(
        false,
      );
      expect(tracer.spans.at(-1)!.name).toBe('update commit');
      expect(restarted.reports.every((r) => r.traceparent === TRACEPARENT)).toBe(true);
    });

    it('records nothing for a command without a trace context, and reports say none', async () => {
      const { runner, reports } = setup();
      await runner.start(command());
      await runner.whenIdle();
      expect(reports.some((r) => 'traceparent' in r)).toBe(false);
    });
  });

  describe('power cut after any saved snapshot', () => {
    for (const behaviour of ['healthy', 'crash'] as const) {
      it(`converges from every saved point (${behaviour} new version)`, async () => {
        const reference = setup(behaviour);
        const cmd = command();
        await reference.runner.start(cmd);
        await reference.runner.whenIdle();
        const expectedPhases = phases(reference.reports);
        const points = reference.store.history.length;
        expect(points).toBeGreaterThan(7);
        for (let cut = 0; cut < points; cut++) {
          // Replay the same job up to the cut on a fresh engine, then "restart" the agent there.
          const first = setup(behaviour);
          let saves = 0;
          const crashed = new UpdateJobRunner({
            runtime: first.runtime,
            snapshots: first.store,
            workload: {
              containerName: NAME,
              health: { settleMs: 20, probeTimeoutMs: 60, probeIntervalMs: 10 },
            },
            onPhase: async (r) => void first.reports.push(r),
            logger: silentLogger,
            afterPersist: () => {
              if (saves++ === cut) throw new PowerCut();
            },
          });
          await crashed.start(cmd).catch(() => undefined);
          await crashed.whenIdle();
          const restarted = setup(behaviour, first.store, first.runtime);
          restarted.reports.push(...first.reports);
          await restarted.runner.resumeUnfinished();
          expect(phases(restarted.reports).filter((p, i, all) => all.indexOf(p) === i)).toEqual(
            expectedPhases,
          );
          const running = first.runtime.running();
          expect(running).toHaveLength(1);
          expect(running[0]!.name).toBe(NAME);
          const record = first.store.records.get(cmd.jobId)!;
          expect(['committed', 'rolled_back']).toContain(record.state);
        }
      });
    }
  });

  it('handles a snapshot from another machine version explicitly: workload kept running, job failed', async () => {
    const { runtime, store, runner, reports } = setup();
    const jobId = randomUUID();
    await store.save({
      jobId,
      machineVersion: MACHINE_VERSION + 1,
      state: 'some_future_state',
      context: { correlationId: 'c-1', backupName: 'opc-core-previous-12345678' },
      log: [],
      reportedThrough: 0,
      createdAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
    });
    // The power cut came mid-swap: the old container is stopped and renamed aside.
    const old = runtime.running()[0]!;
    old.running = false;
    old.name = 'opc-core-previous-12345678';
    await runner.resumeUnfinished();
    expect(reports.map((r) => [r.phase, r.error?.code])).toEqual([
      ['failed', 'incompatible_snapshot'],
    ]);
    expect(runtime.running().map((c) => c.name)).toEqual([NAME]);
    expect((await store.load(jobId, [MACHINE_VERSION])).kind).toBe('ok');
  });
});

class PowerCut extends Error {}
