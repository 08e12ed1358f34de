import { setTimeout as sleep } from 'node:timers/promises';
import { RuntimeError } from '../../container-runtime/container-runtime.port';
import { at, isOld, JOB_LABEL, stepFailed, waitForBackoff, type Effect } from './effect';
import { finishReplacingOld } from './old-container';

/**
 * Puts the old container back: removes the new one, renames the old one to its name, starts it
 * and waits until it runs. Every step looks first, so a re-run converges.
 */
export const rollBack: Effect = async (ctx, env) => {
  const { runtime } = env;
  const log = { jobId: ctx.jobId, correlationId: ctx.correlationId, reason: ctx.error };
  try {
    await waitForBackoff(ctx, env);
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
    return stepFailed(env, error, 'rollback_failed');
  }
};
