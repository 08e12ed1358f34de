import { setTimeout as sleep } from 'node:timers/promises';
import type { ContainerInfo } from '../../container-runtime/container-runtime.port';
import type { UpdateJobContext } from '../update-machine';
import { discardNameOf, REPLACES_LABEL, type EffectEnv } from './effect';

/**
 * Keeping the old container, renamed aside, out of the new one's way while the swap runs.
 *
 * Stops the old container again if its restart policy brought it back: an engine may restart a
 * crash-looping container that was stopped between two of its restarts (Podman before 4.5 does,
 * containers/podman#18259), and it would then hold the ports the new one needs.
 */
export async function keepOldStopped(
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
export async function waitForOldToSettle(ctx: UpdateJobContext, env: EffectEnv): Promise<boolean> {
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
export async function replaceOldWithCopy(ctx: UpdateJobContext, env: EffectEnv): Promise<void> {
  const backup = await env.runtime.inspectContainer(ctx.backupName);
  if (backup?.id === ctx.oldContainerId) {
    await env.runtime.renameContainer(ctx.backupName, discardNameOf(ctx));
  }
  await finishReplacingOld(ctx, env);
}

/** Completes a replacement that was cut short; does nothing when none was started. */
export async function finishReplacingOld(ctx: UpdateJobContext, env: EffectEnv): Promise<void> {
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
