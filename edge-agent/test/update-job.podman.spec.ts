import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { FileSnapshotStore } from '../src/snapshot-store/file-snapshot-store';
import { silentLogger } from '../src/update-machine/logger';
import { COMMIT_PATH, ROLLBACK_PATH } from '../src/update-machine/update-machine';
import type { PhaseReport } from '../src/update-machine/phase-reports';
import { UpdateJobRunner, type UpdateJobRunnerDeps } from '../src/update-machine/update-job-runner';
import type { WorkloadSettings } from '../src/update-machine/workload-settings';
import { DockerodeRuntime } from '../src/container-runtime/dockerode-runtime';
import { recordingLogger } from '../src/update-machine/testing/recording-logger';
import { AuthRegistry } from './engine/auth-registry';
import { EngineSocketProxy } from './engine/engine-socket-proxy';
import {
  REGISTRY,
  SOURCE_REPOSITORY,
  WorkloadFixture,
  pullSource,
  engine,
  registryDigest,
  runtime,
  updateCommand,
} from './engine/workload-fixture';

jest.setTimeout(120_000);

const run = promisify(execFile);

/** A runner for one fixture, with short settle periods: Podman is slow enough already. */
async function agentFor(
  fixture: WorkloadFixture,
  workload: Partial<WorkloadSettings> = {},
  hooks: Partial<Pick<UpdateJobRunnerDeps, 'afterPersist' | 'runtime' | 'logger'>> = {},
) {
  const dir = await mkdtemp(join(tmpdir(), 'agent-jobs-'));
  const reports: PhaseReport[] = [];
  const runner = new UpdateJobRunner({
    runtime: runtime(),
    snapshots: new FileSnapshotStore(dir),
    workload: {
      containerName: fixture.containerName,
      stopTimeoutSeconds: 5,
      health: {
        settleMs: 1000,
        probeTimeoutMs: 3000,
        probe: { kind: 'http', port: 8080, path: '/health' },
      },
      ...workload,
    },
    onPhase: async (r) => void reports.push(r),
    logger: silentLogger,
    retry: { maxPullAttempts: 2, backoffBaseMs: 100, backoffCapMs: 200 },
    ...hooks,
  });
  return {
    runner,
    reports,
    dir,
    // A pull retried after a transient failure (a busy engine or registry) enters `pulling`
    // again; the path itself must still be exactly the commit or rollback path.
    phases: () =>
      reports
        .filter((r) => !r.progress)
        .map((r) => r.phase)
        .filter((phase, i, all) => all[i - 1] !== phase),
  };
}

async function runJob(
  fixture: WorkloadFixture,
  image: string,
  version: string,
  options: { digest?: string; workload?: Partial<WorkloadSettings> } = {},
) {
  const agent = await agentFor(fixture, options.workload);
  const command = updateCommand(image, version, options.digest);
  expect(await agent.runner.start(command)).toEqual({ accepted: true });
  await agent.runner.whenIdle();
  await rm(agent.dir, { recursive: true, force: true });
  return { ...agent, command };
}

describe('update job on Podman', () => {
  let fixture: WorkloadFixture;
  beforeEach(() => {
    fixture = new WorkloadFixture();
  });
  afterEach(() => fixture?.cleanup());

  it('swaps to the new version keeping env, binds, volume, port, labels and restart policy; old image kept', async () => {
    await fixture.stage('1.0.0', '2.0.0');
    const oldId = await fixture.createWorkload('1.0.0', { restartPolicy: 'unless-stopped' });
    await fixture.writeMarker('before-update');
    const digest = await registryDigest(fixture.image('2.0.0'));
    const { phases, reports } = await runJob(fixture, fixture.image('2.0.0'), '2.0.0', { digest });
    expect(phases()).toEqual(COMMIT_PATH);
    expect(reports.at(-1)!.version).toBe('2.0.0');
    const containers = await fixture.containers();
    expect(containers).toHaveLength(1);
    const next = await engine().getContainer(fixture.containerName).inspect();
    expect(next.Id).not.toBe(oldId);
    expect(next.State.Running).toBe(true);
    expect(next.Config.Env).toEqual(expect.arrayContaining(['SITE=plant-7', 'OPC_VERSION=2.0.0']));
    expect(next.Config.Labels).toMatchObject({
      'com.example.site': 'plant-7',
      'org.opcfleet.version': '2.0.0',
    });
    expect(next.HostConfig.RestartPolicy?.Name).toBe('unless-stopped');
    expect(next.HostConfig.Binds?.some((b) => b.startsWith(`${fixture.configDir}:/config`))).toBe(
      true,
    );
    expect(await fixture.readMarker()).toBe('before-update');
    expect(await fixture.health()).toBe('ok 2.0.0');
    // Progress between pulling and pulled, with the size the registry announced.
    const progress = reports.filter((r) => r.progress);
    expect(progress.at(-1)).toMatchObject({ phase: 'pulling', progress: { percent: 100 } });
    expect(progress.at(-1)!.progress!.totalBytes).toBeGreaterThan(100_000);
    // The previous image stays for a manual rollback.
    expect(await runtime().inspectImage(fixture.image('1.0.0'))).not.toBeNull();
  });

  it('after a commit keeps the previous image and prunes older ones of the repository', async () => {
    await fixture.stage('1.0.0', '2.0.0', 'rejects-config');
    await fixture.createWorkload('1.0.0');
    expect((await runJob(fixture, fixture.image('2.0.0'), '2.0.0')).phases()).toEqual(COMMIT_PATH);
    expect((await runJob(fixture, fixture.image('rejects-config'), '5.0.0')).phases()).toEqual(
      COMMIT_PATH,
    );
    const rt = runtime();
    expect(await rt.inspectImage(fixture.image('rejects-config'))).not.toBeNull();
    expect(await rt.inspectImage(fixture.image('2.0.0'))).not.toBeNull();
    expect(await rt.inspectImage(fixture.image('1.0.0'))).toBeNull();
    // Pruning dropped this repository's name only: the same image under another name stays.
    expect(await rt.inspectImage(`${SOURCE_REPOSITORY}:1.0.0`)).not.toBeNull();
  });

  it('updates a current container that is restart-looping', async () => {
    await fixture.stage('crash-at-start', '2.0.0');
    await fixture.createWorkload('crash-at-start', { restartPolicy: 'always' });
    const { phases } = await runJob(fixture, fixture.image('2.0.0'), '2.0.0');
    expect(phases()).toEqual(COMMIT_PATH);
    expect(await fixture.health()).toBe('ok 2.0.0');
    expect(await fixture.containers()).toHaveLength(1);
  });

  it('fails on a missing image, nothing touched', async () => {
    await fixture.stage('1.0.0');
    const oldId = await fixture.createWorkload('1.0.0');
    const { phases, reports } = await runJob(fixture, fixture.image('9.9.9'), '9.9.9');
    expect(phases()).toEqual(['received', 'pulling', 'failed']);
    expect(reports.at(-1)!.error).toMatchObject({
      code: 'image_not_found',
      message: expect.stringContaining('manifest unknown'),
    });
    expect((await engine().getContainer(fixture.containerName).inspect()).Id).toBe(oldId);
  });

  it('fails with registry_unreachable when no registry listens, after its retries', async () => {
    await fixture.stage('1.0.0');
    await fixture.createWorkload('1.0.0');
    const { reports } = await runJob(fixture, '127.0.0.1:1/opcfleet/opc-core:2.0.0', '2.0.0');
    // Each attempt enters `pulling`: the raw reports show the retry.
    expect(reports.filter((r) => !r.progress).map((r) => r.phase)).toEqual([
      'received',
      'pulling',
      'pulling',
      'failed',
    ]);
    expect(reports.at(-1)!.error?.code).toBe('registry_unreachable');
    expect(await fixture.health()).toBe('ok 1.0.0');
  });

  it('fails on a digest mismatch before the old container stops', async () => {
    await fixture.stage('1.0.0', '2.0.0');
    await fixture.createWorkload('1.0.0');
    const { phases, reports } = await runJob(fixture, fixture.image('2.0.0'), '2.0.0', {
      digest: `sha256:${'d'.repeat(64)}`,
    });
    expect(phases()).toEqual(['received', 'pulling', 'failed']);
    expect(reports.at(-1)!.error?.code).toBe('digest_mismatch');
    expect(await fixture.health()).toBe('ok 1.0.0');
  });

  it('rolls back a version that crashes at start: the old container runs again with its volume', async () => {
    await fixture.stage('1.0.0', 'crash-at-start');
    const oldId = await fixture.createWorkload('1.0.0');
    await fixture.writeMarker('kept');
    const { phases, reports } = await runJob(fixture, fixture.image('crash-at-start'), '3.0.0');
    expect(phases()).toEqual(ROLLBACK_PATH);
    expect(reports.at(-1)!.error?.message).toMatch(/exited with code 1|restarting/);
    expect(reports.at(-1)!.version).toBe('1.0.0');
    const containers = await fixture.containers();
    expect(containers.map((c) => c.Id)).toEqual([oldId]);
    expect(containers[0]!.State).toBe('running');
    expect(await fixture.readMarker()).toBe('kept');
    expect(await fixture.health()).toBe('ok 1.0.0');
    // Why, without a shell on the device: what the failed container printed before it was
    // removed, and what the agent did.
    const evidence = reports.at(-1)!.evidence!;
    expect(evidence.workloadLog).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/\[crash-at-start\]: crashing at start on purpose$/),
      ]),
    );
    expect(evidence.workloadLogError).toBeUndefined();
    expect(evidence.agentLog.join('\n')).toMatch(
      /to=rolling_back[\s\S]*removing the failed new container/,
    );
  });

  it('rolls back a crashing version that the carried-over restart policy keeps restarting', async () => {
    await fixture.stage('1.0.0', 'crash-at-start');
    const oldId = await fixture.createWorkload('1.0.0', { restartPolicy: 'always' });
    const { phases, reports } = await runJob(fixture, fixture.image('crash-at-start'), '3.0.0');
    // Removing a container the engine keeps restarting can fail for a moment: the rollback is
    // then retried, and each attempt is reported as rolling_back again.
    expect(phases().filter((p, i, all) => p !== 'rolling_back' || all[i - 1] !== p)).toEqual(
      ROLLBACK_PATH,
    );
    expect(reports.at(-1)!.error?.code).toBe('unhealthy');
    expect((await fixture.containers()).map((c) => [c.Id, c.State])).toEqual([[oldId, 'running']]);
    expect(await fixture.health()).toBe('ok 1.0.0');
  });

  it('rolls back when the health probe never passes', async () => {
    await fixture.stage('1.0.0', 'never-healthy');
    const oldId = await fixture.createWorkload('1.0.0');
    const { phases, reports } = await runJob(fixture, fixture.image('never-healthy'), '4.0.0');
    expect(phases()).toEqual(ROLLBACK_PATH);
    expect(reports.at(-1)!.error?.message).toContain('HTTP probe answered 404');
    expect(reports.at(-1)!.evidence?.workloadLog).toEqual(
      expect.arrayContaining([expect.stringMatching(/\[never-healthy\]: serving on :8080$/)]),
    );
    expect((await fixture.containers()).map((c) => c.Id)).toEqual([oldId]);
    expect(await fixture.health()).toBe('ok 1.0.0');
  });

  it('waits for an engine cut away in the middle of the download, then finishes the update; no phase goes back', async () => {
    const proxy = await EngineSocketProxy.start();
    try {
      await fixture.stage('1.0.0', '2.0.0');
      await fixture.createWorkload('1.0.0');
      const log = recordingLogger();
      const agent = await agentFor(
        fixture,
        {},
        {
          runtime: new DockerodeRuntime({
            dockerHost: proxy.dockerHost,
            insecureRegistries: [REGISTRY],
          }),
          logger: log.logger,
        },
      );
      const cut = proxy.cutDuringNextPull();
      await agent.runner.start(updateCommand(fixture.image('2.0.0'), '2.0.0'));
      await cut;
      // The agent says it waits for the engine (or, were it to give up, the job ends).
      await Promise.race([log.waitFor(/container engine unavailable/), agent.runner.whenIdle()]);
      await proxy.restore();
      await agent.runner.whenIdle();
      expect(agent.phases()).toEqual(COMMIT_PATH);
      expect(agent.reports.filter((r) => r.error)).toEqual([]);
      expect(log.messages).toContain('container engine is back: the step went on');
      expect(await fixture.health()).toBe('ok 2.0.0');
      await rm(agent.dir, { recursive: true, force: true });
    } finally {
      await proxy.close();
    }
  });

  describe('probation after the health check', () => {
    /** Runs an update to 2.0.0 and calls `afterHealthCheck` with the first state saved after `verifying`. */
    async function updateWithProbation(
      probationMs: number,
      afterHealthCheck: (state: string) => Promise<void>,
    ) {
      await fixture.stage('1.0.0', '2.0.0');
      const oldId = await fixture.createWorkload('1.0.0');
      let previous = '';
      let hook: Promise<void> = Promise.resolve();
      const agent = await agentFor(
        fixture,
        { probationMs, probationCheckIntervalMs: 200 },
        {
          afterPersist: (state) => {
            if (previous === 'verifying' && state !== 'verifying') hook = afterHealthCheck(state);
            previous = state;
          },
        },
      );
      expect(await agent.runner.start(updateCommand(fixture.image('2.0.0'), '2.0.0'))).toEqual({
        accepted: true,
      });
      await agent.runner.whenIdle();
      await hook;
      await rm(agent.dir, { recursive: true, force: true });
      return { ...agent, oldId };
    }

    it('rolls back on its own a version that dies after its health check passed, and says why', async () => {
      const { phases, reports, oldId } = await updateWithProbation(20_000, async () => {
        await run('podman', ['kill', '--signal', 'KILL', fixture.containerName]);
      });
      expect(phases()).toEqual(ROLLBACK_PATH);
      expect(reports.at(-1)!.error).toMatchObject({
        code: 'probation_failed',
        message: expect.stringMatching(/exited with code 137, \d+ s into the 20 s probation/),
      });
      expect((await fixture.containers()).map((c) => [c.Id, c.State])).toEqual([
        [oldId, 'running'],
      ]);
      expect(await fixture.health()).toBe('ok 1.0.0');
    });

    it('keeps the old container until a version that stays up has passed the probation, then commits', async () => {
      let keptDuringProbation: string[] = [];
      const { phases, oldId } = await updateWithProbation(3_000, async () => {
        keptDuringProbation = (await fixture.containers()).map((c) => c.Id);
      });
      expect(keptDuringProbation).toContain(oldId);
      expect(phases()).toEqual(COMMIT_PATH);
      const containers = await fixture.containers();
      expect(containers.map((c) => c.Id)).not.toContain(oldId);
      expect(await fixture.health()).toBe('ok 2.0.0');
    });
  });

  it('runs a duplicate command once and refuses a second update while one runs', async () => {
    await fixture.stage('1.0.0', '2.0.0');
    await fixture.createWorkload('1.0.0');
    const agent = await agentFor(fixture);
    const command = updateCommand(fixture.image('2.0.0'), '2.0.0');
    expect(await agent.runner.start(command)).toEqual({ accepted: true });
    expect(await agent.runner.start(command)).toMatchObject({ accepted: false });
    expect(await agent.runner.start(updateCommand(fixture.image('1.0.0'), '1.0.0'))).toMatchObject({
      accepted: false,
      reason: expect.stringContaining('in progress'),
    });
    await agent.runner.whenIdle();
    expect(await agent.runner.start(command)).toMatchObject({
      accepted: false,
      reason: expect.stringContaining('already received'),
    });
    expect(agent.phases()).toEqual(COMMIT_PATH);
    await rm(agent.dir, { recursive: true, force: true });
  });

  describe('with a registry that asks for credentials', () => {
    const registry = new AuthRegistry();
    let image = '';
    beforeAll(async () => {
      await registry.start();
      await pullSource('2.0.0');
      image = await registry.push(`${SOURCE_REPOSITORY}:2.0.0`, 'opcfleet/opc-core:2.0.0');
    });
    afterAll(() => registry.stop());

    it('fails with auth_failed without credentials, and pulls with them', async () => {
      await fixture.stage('1.0.0');
      await fixture.createWorkload('1.0.0');
      const denied = await runJob(fixture, image, '2.0.0');
      expect(denied.phases()).toEqual(['received', 'pulling', 'failed']);
      expect(denied.reports.at(-1)!.error).toMatchObject({ code: 'auth_failed' });
      const allowed = await runJob(fixture, image, '2.0.0', {
        workload: {
          registryAuth: {
            username: registry.username,
            password: registry.password,
            serveraddress: registry.address,
          },
        },
      });
      expect(allowed.phases()).toEqual(COMMIT_PATH);
    });
  });
});
