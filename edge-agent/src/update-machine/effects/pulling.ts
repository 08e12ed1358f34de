import { RuntimeError, isEngineUnavailable } from '../../container-runtime/container-runtime.port';
import type { UpdateJobContext, UpdateJobEvent } from '../update-machine';
import { at, stepError, waitForBackoff, type Effect, type EffectEnv } from './effect';

/** A failed pull as the machine's event; an engine out of reach is thrown on to the runner. */
function pullFailed(env: EffectEnv, error: unknown): UpdateJobEvent {
  if (isEngineUnavailable(error)) throw error;
  const retryable = error instanceof RuntimeError ? error.retryable : true;
  return { type: 'PULL_FAILED', at: at(env), error: stepError(error, 'pull_failed'), retryable };
}

/** The job's pull: its registry credentials, the digest it must have, its cancellation. */
export const pullOptions = (ctx: UpdateJobContext, env: EffectEnv) => ({
  auth: env.workload.registryAuth,
  expectedDigest: ctx.imageDigest,
  signal: env.signal,
});

export const pull: Effect = async (ctx, env) => {
  await waitForBackoff(ctx, env);
  // Engines report bytes only for large layers (Podman not at all for small ones): the
  // registry's size gives the reports a total and a start and an end.
  const total = ctx.imageSizeBytes;
  env.onPullProgress(total ? { bytes: 0, totalBytes: total, percent: 0 } : { bytes: 0 });
  try {
    const image = await env.runtime.pullImage(ctx.image, {
      ...pullOptions(ctx, env),
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
    return pullFailed(env, error);
  }
};

/**
 * A checkpoint: the image is here and nothing has stopped yet. An image that vanished (pruned
 * by hand?) is pulled again right here, so the job never goes back to `pulling`.
 */
export const confirmPulled: Effect = async (ctx, env) => {
  if (ctx.newImageId && (await env.runtime.inspectImage(ctx.newImageId))) {
    return { type: 'PROCEED', at: at(env) };
  }
  await waitForBackoff(ctx, env);
  env.logger.warn(
    { jobId: ctx.jobId, correlationId: ctx.correlationId, image: ctx.image },
    'the pulled image is no longer in the engine: pulling it again',
  );
  try {
    const image = await env.runtime.pullImage(ctx.image, pullOptions(ctx, env));
    return { type: 'PROCEED', at: at(env), imageId: image.id };
  } catch (error) {
    return pullFailed(env, error);
  }
};
