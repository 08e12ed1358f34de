import { RuntimeError } from '../../container-runtime/container-runtime.port';
import { at, stepError, waitForBackoff, type Effect } from './effect';

export const pull: Effect = async (ctx, env) => {
  await waitForBackoff(ctx, env);
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
export const confirmPulled: Effect = async (ctx, env) => {
  const image = ctx.newImageId ? await env.runtime.inspectImage(ctx.newImageId) : null;
  if (image) return { type: 'PROCEED', at: at(env) };
  return {
    type: 'PULL_FAILED',
    at: at(env),
    retryable: true,
    error: { code: 'image_missing', message: `${ctx.image} is no longer in the engine` },
  };
};
