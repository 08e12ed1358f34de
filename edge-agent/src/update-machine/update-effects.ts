import { setTimeout as sleep } from 'node:timers/promises';
import {
  RuntimeError,
  type ContainerInfo,
  type ContainerRuntime,
  type PullProgress,
} from '../container-runtime/container-runtime.port';
import { httpGet } from '../container-runtime/http-get';
import { parseImageReference } from '../container-runtime/image-reference';
import type { Logger } from './logger';
import type { StepError, UpdateJobContext, UpdateJobEvent } from './update-machine';
import type { HealthSettings, WorkloadSettings } from './workload-settings';

/** Label the agent puts on the containers it creates, so the running version is known. */
export const VERSION_LABEL = 'org.opcfleet.version';
export const JOB_LABEL = 'org.opcfleet.job-id';
/** Marks a never-started copy that stands in for a job's old container (see replaceOldWithCopy). */
export const REPLACES_LABEL = 'org.opcfleet.replaces';

export interface EffectEnv {
  runtime: ContainerRuntime;
  workload: WorkloadSettings;
  logger: Logger;
  now: () => Date;
  /** Aborted when the state's deadline passes: loops stop, the machine gets a TIMEOUT. */
  signal: AbortSignal;
  /** `final` reports go out even inside the throttle interval. */
  onPullProgress: (progress: PullProgress, final?: boolean) => void;
}

type Effect = (ctx: UpdateJobContext, env: EffectEnv) => Promise<UpdateJobEvent>;

const at = (env: EffectEnv) => env.now().toISOString();

/** Whether a container is the job's old one, or the never-started copy that replaced it. */
const isOld = (ctx: UpdateJobContext, c: ContainerInfo | null): boolean =>
  !!c && (c.id === ctx.oldContainerId || c.labels[REPLACES_LABEL] === ctx.oldContainerId);

/** Where the old container waits for removal while its copy takes the backup name. */
const discardNameOf = (ctx: UpdateJobContext) => `${ctx.backupName}-discard`;

const stepError = (error: unknown, fallbackCode: string): StepError =>
  error instanceof RuntimeError
    ? { code: error.code, message: error.message }
    : { code: fallbackCode, message: (error as Error)?.message ?? String(error) };

function versionOf(container: ContainerInfo): string | undefined {
  const labels = container.labels;
  const fromTag = /:([A-Za-z0-9_][A-Za-z0-9_.-]*)$/.exec(container.imageRef.split('@')[0] ?? '');
  return (
    labels[VERSION_LABEL] ?? labels['org.opencontainers.image.version'] ?? fromTag?.[1] ?? undefined
  );
}

/** Nothing has changed yet: find the current container and check there is room for the image. */
const prepare: Effect = async (ctx, env) => {
  const current = await env.runtime.inspectContainer(ctx.containerName);
  if (!current) {
    return {
      type: 'PREPARE_FAILED',
      at: at(env),
      error: {
        code: 'no_workload_container',
        message: `no container named ${ctx.containerName} to update`,
      },
    };
  }
  const imageSize = await env.runtime.registryImageSize(ctx.image, env.workload.registryAuth);
  const free = await env.runtime.freeDiskBytes();
  if (free !== null) {
    // Layers are stored unpacked: twice the download size is a conservative estimate.
    const needed = (imageSize ?? 0) * 2 + (env.workload.diskFloorBytes ?? 0);
    if (free < needed) {
      return {
        type: 'PREPARE_FAILED',
        at: at(env),
        error: {
          code: 'insufficient_disk',
          message: `only ${free} bytes free for the engine's images; ${needed} needed (image ${imageSize ?? 'size unknown'} bytes, floor ${env.workload.diskFloorBytes ?? 0})`,
        },
      };
    }
  }
  return {
    type: 'PREPARED',
    at: at(env),
    oldContainerId: current.id,
    oldImageId: current.imageId,
    oldImageRef: current.imageRef,
    oldVersion: versionOf(current),
    imageSizeBytes: imageSize ?? undefined,
  };
};

const pull: Effect = async (ctx, env) => {
  if (ctx.notBefore) {
    const wait = Date.parse(ctx.notBefore) - env.now().getTime();
    if (wait > 0) await sleep(wait, undefined, { signal: env.signal });
  }
  // Engines report bytes only for large layers (Podman not at all for small ones): the
  // registry's size gives the reports a total and a start and an end.
  const total = ctx.imageSizeBytes;
  env.onPullProgress(total ? { bytes: 0, totalBytes: total, percent: 0 } : { bytes: 0 });
  try {
    const image = await env.runtime.pullImage(ctx.image, {
      auth: env.workload.registryAuth,
      expectedDigest: ctx.imageDigest,
      signal: env.signal,
      onProgress: (p) =>
        env.onPullProgress(
          p.totalBytes || !total
            ? p
            : {
                bytes: p.bytes,
                totalBytes: total,
                percent: Math.min(100, Math.round((p.bytes / total) * 100)),
              },
        ),
    });
    const size = total ?? image.sizeBytes;
    env.onPullProgress({ bytes: size, totalBytes: size, percent: 100 }, true);
    return { type: 'PULLED', at: at(env), imageId: image.id };
  } catch (error) {
    const retryable = error instanceof RuntimeError ? error.retryable : true;
    return { type: 'PULL_FAILED', at: at(env), error: stepError(error, 'pull_failed'), retryable };
  }
};

/** A checkpoint: the image is here and nothing has stopped yet. */
const confirmPulled: Effect = async (ctx, env) => {
  const image = ctx.newImageId ? await env.runtime.inspectImage(ctx.newImageId) : null;
  if (image) return { type: 'PROCEED', at: at(env) };
  return {
    type: 'PULL_FAILED',
    at: at(env),
    retryable: true,
    error: { code: 'image_missing', message: `${ctx.image} is no longer in the engine` },
  };
};

/**
 * Renames the old container aside (kept, not removed), creates the new one from it while the
 * old still runs, then stops the old: the downtime is only stop + start. Each step checks what
 * already happened, so a re-run after a crash continues where the last one stopped.
 */
const stopOld: Effect = async (ctx, env) => {
  const { runtime } = env;
  try {
    const byName = await runtime.inspectContainer(ctx.containerName);
    if (byName?.id === ctx.oldContainerId) {
      await runtime.renameContainer(ctx.containerName, ctx.backupName);
    }
    const backup = await runtime.inspectContainer(ctx.backupName);
    if (!backup || backup.id !== ctx.oldContainerId) {
      throw new RuntimeError('container_not_found', `old container ${ctx.oldContainerId} is gone`);
    }
    let fresh = byName?.id === ctx.oldContainerId ? null : byName;
    if (fresh && fresh.labels[JOB_LABEL] !== ctx.jobId) {
      // Someone else's container took the name meanwhile: do not touch it, roll back.
      throw new RuntimeError('name_conflict', `${ctx.containerName} is taken by ${fresh.id}`);
    }
    if (!fresh) {
      await runtime.createFromTemplate(ctx.backupName, {
        name: ctx.containerName,
        image: ctx.image,
        extraLabels: { [VERSION_LABEL]: ctx.targetVersion, [JOB_LABEL]: ctx.jobId },
      });
      fresh = await runtime.inspectContainer(ctx.containerName);
    }
    if (!fresh)
      throw new RuntimeError('container_not_found', 'new container vanished after create');
    env.logger.info(
      {
        jobId: ctx.jobId,
        correlationId: ctx.correlationId,
        container: ctx.backupName,
        reason: 'update',
      },
      'stopping old workload container',
    );
    await runtime.stopContainer(ctx.backupName, env.workload.stopTimeoutSeconds ?? 10);
    return { type: 'OLD_STOPPED', at: at(env), newContainerId: fresh.id };
  } catch (error) {
    return { type: 'STEP_FAILED', at: at(env), error: stepError(error, 'stop_failed') };
  }
};

/**
 * Stops the old container again if its restart policy brought it back: an engine may restart a
 * crash-looping container that was stopped between two of its restarts (Podman before 4.5 does,
 * containers/podman#18259), and it would then hold the ports the new one needs.
 */
async function keepOldStopped(
  ctx: UpdateJobContext,
  env: EffectEnv,
): Promise<ContainerInfo | null> {
  const old = await env.runtime.inspectContainer(ctx.backupName);
  if (old && (old.running || old.restarting)) {
    env.logger.warn(
      { jobId: ctx.jobId, correlationId: ctx.correlationId, container: ctx.backupName },
      'old workload container is running again (engine restart policy): stopping it again',
    );
    await env.runtime.stopContainer(ctx.backupName, env.workload.stopTimeoutSeconds ?? 10);
  }
  return old;
}

/**
 * Waits until the old container stays down for the quiet period (no restart, not running),
 * stopping it again each time it comes back. False if it never did within ten quiet periods.
 */
async function waitForOldToSettle(ctx: UpdateJobContext, env: EffectEnv): Promise<boolean> {
  const quietMs = env.workload.oldContainerQuietMs ?? 500;
  const giveUpAt = Date.now() + 10 * quietMs;
  let quietSince = Date.now();
  let seen = await keepOldStopped(ctx, env);
  while (seen) {
    if (Date.now() >= giveUpAt) return false;
    await sleep(Math.max(1, quietMs / 5), undefined, { signal: env.signal });
    const now = await keepOldStopped(ctx, env);
    const cameBack =
      !!now && (now.running || now.restarting || now.restartCount !== seen.restartCount);
    if (cameBack) quietSince = Date.now();
    else if (Date.now() - quietSince >= quietMs) return true;
    seen = now;
  }
  return true;
}

/**
 * The last resort when the engine restarts the old container after every stop: it is swapped
 * for a copy that was never started (same image, config, volumes and binds; only files written
 * into the old container's own layer are lost), which holds no port and cannot restart.
 * A rollback starts the copy. Each step looks first, so a re-run after a power cut finishes it.
 */
async function replaceOldWithCopy(ctx: UpdateJobContext, env: EffectEnv): Promise<void> {
  const backup = await env.runtime.inspectContainer(ctx.backupName);
  if (backup?.id === ctx.oldContainerId) {
    await env.runtime.renameContainer(ctx.backupName, discardNameOf(ctx));
  }
  await finishReplacingOld(ctx, env);
}

/** Completes a replacement that was cut short; does nothing when none was started. */
async function finishReplacingOld(ctx: UpdateJobContext, env: EffectEnv): Promise<void> {
  const { runtime } = env;
  const discard = await runtime.inspectContainer(discardNameOf(ctx));
  if (!discard || discard.id !== ctx.oldContainerId) return;
  if (!(await runtime.inspectContainer(ctx.backupName))) {
    await runtime.createFromTemplate(discard.id, {
      name: ctx.backupName,
      image: discard.imageId,
      extraLabels: { [REPLACES_LABEL]: discard.id },
    });
  }
  env.logger.warn(
    { jobId: ctx.jobId, correlationId: ctx.correlationId, container: discard.id },
    'old workload container keeps restarting after stops: replaced by a stopped copy of it',
  );
  // The engine may refuse to remove a container in the middle of a restart: try a few times.
  for (let attempt = 1; ; attempt++) {
    try {
      await runtime.removeContainer(discard.id);
      return;
    } catch (error) {
      if (attempt >= 5) throw error;
      await sleep(200, undefined, { signal: env.signal });
    }
  }
}

/** How often the new container's start is tried, the old one settled in between. */
const START_ATTEMPTS = 3;

/** Starts the new container by id (unique, so it cannot be someone else's); starting twice is harmless. */
const startNew: Effect = async (ctx, env) => {
  try {
    if (!ctx.newContainerId)
      throw new RuntimeError('container_not_found', 'no new container recorded');
    await finishReplacingOld(ctx, env);
    for (let attempt = 1; ; attempt++) {
      await keepOldStopped(ctx, env);
      try {
        await env.runtime.startContainer(ctx.newContainerId);
        return { type: 'NEW_STARTED', at: at(env) };
      } catch (error) {
        if (attempt >= START_ATTEMPTS) throw error;
        // Most often the old container came back and holds a port: once it stays down, try again.
        env.logger.warn(
          {
            jobId: ctx.jobId,
            correlationId: ctx.correlationId,
            attempt,
            error: (error as Error).message,
          },
          'new workload container did not start: letting the old one settle, then trying again',
        );
        if (!(await waitForOldToSettle(ctx, env))) await replaceOldWithCopy(ctx, env);
      }
    }
  } catch (error) {
    if (env.signal.aborted) throw error;
    return { type: 'STEP_FAILED', at: at(env), error: stepError(error, 'start_failed') };
  }
};

/** Why a freshly started container is not healthy, or null while it looks fine. */
function crashReason(container: ContainerInfo | null, baselineRestarts: number): string | null {
  if (!container) return 'the new container disappeared';
  if (container.restarting || container.restartCount > baselineRestarts) {
    return `the new container is restarting (exit code ${container.exitCode}, ${container.restartCount} restarts)`;
  }
  if (!container.running) return `the new container exited with code ${container.exitCode}`;
  if (container.health === 'unhealthy') return 'the engine reports the new container unhealthy';
  return null;
}

async function probeOnce(
  settings: HealthSettings,
  container: ContainerInfo,
  env: EffectEnv,
): Promise<string | null> {
  const probe = settings.probe;
  if (!probe) return null;
  try {
    if (probe.kind === 'exec') {
      const result = await env.runtime.exec(container.id, probe.command, 5000);
      return result.exitCode === 0
        ? null
        : `exec probe exited ${result.exitCode}: ${result.output.trim().slice(0, 200)}`;
    }
    const host = probe.host ?? container.ipAddresses[0];
    if (!host) return 'the new container has no address to probe';
    const response = await httpGet(`http://${host}:${probe.port}${probe.path}`, {
      timeoutMs: 2000,
      signal: env.signal,
      maxBytes: 64 * 1024,
    });
    const ok = response.status >= 200 && response.status < 300;
    return ok ? null : `HTTP probe answered ${response.status}`;
  } catch (error) {
    return `probe failed: ${(error as Error).message}`;
  }
}

/**
 * The new container must stay up for the settle period, then pass the probe (if any) within
 * its budget; the engine's HEALTHCHECK counts only when it says something ("unhealthy").
 */
const verify: Effect = async (ctx, env) => {
  const health = env.workload.health;
  const interval = health.probeIntervalMs ?? 250;
  const fail = (message: string): UpdateJobEvent => ({
    type: 'STEP_FAILED',
    at: at(env),
    error: { code: 'unhealthy', message },
  });
  try {
    const first = await env.runtime.inspectContainer(ctx.containerName);
    const baseline = first?.restartCount ?? 0;
    const settleUntil = Date.now() + health.settleMs;
    for (;;) {
      const container = await env.runtime.inspectContainer(ctx.containerName);
      const crash = crashReason(container, baseline);
      if (crash) return fail(crash);
      await keepOldStopped(ctx, env);
      if (Date.now() >= settleUntil) break;
      await sleep(Math.min(interval, Math.max(0, settleUntil - Date.now())), undefined, {
        signal: env.signal,
      });
    }
    const probeUntil = Date.now() + health.probeTimeoutMs;
    let lastProblem: string | null = null;
    for (;;) {
      const container = await env.runtime.inspectContainer(ctx.containerName);
      const crash = crashReason(container, baseline);
      if (crash) return fail(crash);
      lastProblem = await probeOnce(health, container!, env);
      if (!lastProblem) return { type: 'VERIFIED', at: at(env) };
      if (Date.now() >= probeUntil) {
        return fail(`health probe did not pass within ${health.probeTimeoutMs} ms: ${lastProblem}`);
      }
      await sleep(interval, undefined, { signal: env.signal });
    }
  } catch (error) {
    if (env.signal.aborted) throw error;
    return { type: 'STEP_FAILED', at: at(env), error: stepError(error, 'verify_failed') };
  }
};

/** After the commit: drop the old container, keep the old image for a manual rollback, prune older ones. */
const cleanUp: Effect = async (ctx, env) => {
  const { runtime } = env;
  for (const name of [ctx.backupName, discardNameOf(ctx)]) {
    const old = await runtime.inspectContainer(name);
    if (old && isOld(ctx, old)) await runtime.removeContainer(old.id);
  }
  const { repository } = parseImageReference(ctx.image);
  const keep = new Set([ctx.newImageId, ctx.oldImageId]);
  for (const image of await runtime.listImages(repository)) {
    if (keep.has(image.id)) continue;
    // Only this repository's tags are dropped: an image also tagged elsewhere stays for its
    // other users (removing by digest would delete it whole). Untagged ones go by id.
    const tags = image.repoTags.filter((ref) => ref.startsWith(`${repository}:`));
    const names = tags.length > 0 ? tags : image.repoTags.length === 0 ? [image.id] : [];
    for (const name of names) {
      const removed = await runtime.removeImage(name);
      env.logger.info(
        { jobId: ctx.jobId, correlationId: ctx.correlationId, image: name, removed },
        removed ? 'pruned an older workload image' : 'older workload image still in use, kept',
      );
    }
  }
  return { type: 'CLEANED_UP', at: at(env) };
};

/**
 * Puts the old container back: removes the new one, renames the old one to its name, starts it
 * and waits until it runs. Every step looks first, so a re-run converges.
 */
const rollBack: Effect = async (ctx, env) => {
  const { runtime } = env;
  const log = { jobId: ctx.jobId, correlationId: ctx.correlationId, reason: ctx.error };
  try {
    if (ctx.notBefore) {
      const wait = Date.parse(ctx.notBefore) - env.now().getTime();
      if (wait > 0) await sleep(wait, undefined, { signal: env.signal });
    }
    await finishReplacingOld(ctx, env);
    const byName = await runtime.inspectContainer(ctx.containerName);
    if (byName && !isOld(ctx, byName)) {
      if (byName.labels[JOB_LABEL] !== ctx.jobId) {
        throw new RuntimeError('name_conflict', `${ctx.containerName} is taken by ${byName.id}`);
      }
      env.logger.warn({ ...log, container: byName.id }, 'removing the failed new container');
      await runtime.removeContainer(byName.id);
    }
    const backup = await runtime.inspectContainer(ctx.backupName);
    if (isOld(ctx, backup)) {
      await runtime.renameContainer(ctx.backupName, ctx.containerName);
    }
    const old = await runtime.inspectContainer(ctx.containerName);
    if (!old || !isOld(ctx, old)) {
      throw new RuntimeError('container_not_found', `old container ${ctx.oldContainerId} is gone`);
    }
    env.logger.warn(log, 'rolling back: starting the old workload container');
    await runtime.startContainer(old.id);
    for (;;) {
      const state = await runtime.inspectContainer(old.id);
      if (state?.running) return { type: 'ROLLED_BACK', at: at(env) };
      await sleep(100, undefined, { signal: env.signal });
    }
  } catch (error) {
    if (env.signal.aborted) throw error;
    return { type: 'STEP_FAILED', at: at(env), error: stepError(error, 'rollback_failed') };
  }
};

/** The work each state does on entry; final states without work are absent. */
export const STATE_EFFECTS: Partial<Record<string, Effect>> = {
  received: prepare,
  pulling: pull,
  pulled: confirmPulled,
  stopping_old: stopOld,
  starting_new: startNew,
  verifying: verify,
  committed: cleanUp,
  rolling_back: rollBack,
};
