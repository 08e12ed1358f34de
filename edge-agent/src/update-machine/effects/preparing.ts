import type { ContainerInfo } from '../../container-runtime/container-runtime.port';
import { at, VERSION_LABEL, type Effect } from './effect';

function versionOf(container: ContainerInfo): string | undefined {
  const labels = container.labels;
  const fromTag = /:([A-Za-z0-9_][A-Za-z0-9_.-]*)$/.exec(container.imageRef.split('@')[0] ?? '');
  return (
    labels[VERSION_LABEL] ?? labels['org.opencontainers.image.version'] ?? fromTag?.[1] ?? undefined
  );
}

/** Nothing has changed yet: find the current container and check there is room for the image. */
export const prepare: Effect = async (ctx, env) => {
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
