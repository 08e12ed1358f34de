import { parseImageReference } from '../../container-runtime/image-reference';
import { at, discardNameOf, isOld, type Effect } from './effect';

/** After the commit: drop the old container, keep the old image for a manual rollback, prune older ones. */
export const cleanUp: Effect = async (ctx, env) => {
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
