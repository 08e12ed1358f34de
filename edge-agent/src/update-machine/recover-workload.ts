import type { ContainerRuntime } from '../container-runtime/container-runtime.port';
import type { Logger } from './logger';

/**
 * Last-resort convergence when a job's snapshot cannot be used: whatever happened, leave one
 * workload container running. Prefer the container under the workload's name; if there is
 * none, rename the job's renamed-aside previous container back (its name is in the snapshot
 * when the snapshot is readable enough to say it) and start it.
 */
export async function recoverWorkload(
  runtime: ContainerRuntime,
  containerName: string,
  asideNames: readonly string[],
  logger: Logger,
): Promise<boolean> {
  let current = await runtime.inspectContainer(containerName);
  if (!current) {
    for (const name of asideNames) {
      const aside = await runtime.inspectContainer(name);
      if (!aside) continue;
      logger.warn(
        { container: name, reason: 'recovery' },
        'renaming the previous workload container back',
      );
      await runtime.renameContainer(name, containerName);
      current = aside;
      break;
    }
  }
  if (!current) {
    logger.error({ container: containerName }, 'no workload container to recover');
    return false;
  }
  if (!current.running) {
    logger.warn(
      { container: containerName, reason: 'recovery' },
      'starting the workload container',
    );
    await runtime.startContainer(current.id);
  }
  return true;
}
