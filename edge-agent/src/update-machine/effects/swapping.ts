import { RuntimeError } from '../../container-runtime/container-runtime.port';
import type { UpdateJobContext } from '../update-machine';
import { at, JOB_LABEL, stepFailed, VERSION_LABEL, type Effect, type EffectEnv } from './effect';
import {
  finishReplacingOld,
  keepOldStopped,
  replaceOldWithCopy,
  waitForOldToSettle,
} from './old-container';
import { pullOptions } from './pulling';

/**
 * Renames the old container aside (kept, not removed), creates the new one from it while the
 * old still runs, then stops the old: the downtime is only stop + start. Each step checks what
 * already happened, so a re-run after a crash continues where the last one stopped.
 */
export const stopOld: Effect = async (ctx, env) => {
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
      await createNew(ctx, env);
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
    return stepFailed(env, error, 'stop_failed');
  }
};

/**
 * Creates the new container from the old one. The pulled image can lose its name before this
 * (Podman before 4.8 rewrites an image's whole list of names on each tag and untag, so one
 * running at the same time can drop a name just added): it is pulled again, with the same
 * digest check, and created once more.
 */
async function createNew(ctx: UpdateJobContext, env: EffectEnv): Promise<void> {
  const create = () =>
    env.runtime.createFromTemplate(ctx.backupName, {
      name: ctx.containerName,
      image: ctx.image,
      extraLabels: { [VERSION_LABEL]: ctx.targetVersion, [JOB_LABEL]: ctx.jobId },
    });
  try {
    await create();
  } catch (error) {
    if (!(error instanceof RuntimeError) || error.code !== 'image_not_found') throw error;
    env.logger.warn(
      { jobId: ctx.jobId, correlationId: ctx.correlationId, image: ctx.image },
      'the pulled image lost its name before the new container was created: pulling it again',
    );
    await env.runtime.pullImage(ctx.image, pullOptions(ctx, env));
    await create();
  }
}

/** How often the new container's start is tried, the old one settled in between. */
const START_ATTEMPTS = 3;

/** Starts the new container by id (unique, so it cannot be someone else's); starting twice is harmless. */
export const startNew: Effect = async (ctx, env) => {
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
    return stepFailed(env, error, 'start_failed');
  }
};
