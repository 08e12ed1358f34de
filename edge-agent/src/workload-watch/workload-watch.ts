import type { ContainerRuntime } from '../container-runtime/container-runtime.port';
import type { Logger } from '../update-machine/logger';
import {
  conditionOf,
  sameCondition,
  type LastLook,
  type WorkloadCondition,
} from './workload-condition';

export interface WorkloadWatchDeps {
  runtime: ContainerRuntime;
  containerName: string;
  intervalMs: number;
  logger: Logger;
  /** True while an update swaps the container: the watch does not look then. */
  paused: () => boolean;
  /** Called when the condition changes (the first look counts as a change). */
  onChange: (condition: WorkloadCondition) => void;
  now?: () => Date;
}

/**
 * Looks at the workload container every `intervalMs` between updates, so a workload that dies
 * after its update committed (or at any other time) is reported, not silently left down: an
 * error log line, and `onChange` (the daemon publishes its state and presence again). It never
 * starts the workload itself: restarting is the engine's restart policy's job.
 */
export class WorkloadWatch {
  private condition: WorkloadCondition | null = null;
  private last: LastLook | null = null;
  private timer: NodeJS.Timeout | undefined;
  private looking: Promise<void> | null = null;
  private readonly now: () => Date;

  constructor(private readonly deps: WorkloadWatchDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  start(): void {
    const tick = () => {
      this.timer = setTimeout(() => void this.look().finally(tick), this.deps.intervalMs);
      this.timer.unref();
    };
    void this.look().finally(tick);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.looking;
  }

  /** The condition at the last look, or null before the first one. */
  current(): WorkloadCondition | null {
    return this.condition;
  }

  /** One look now (also what each tick does); a look already under way is joined. */
  look(): Promise<void> {
    this.looking ??= this.lookOnce().finally(() => (this.looking = null));
    return this.looking;
  }

  private async lookOnce(): Promise<void> {
    if (this.deps.paused()) {
      // An update replaces the container: its restart count starts again.
      this.last = null;
      return;
    }
    const { runtime, containerName, logger } = this.deps;
    let container;
    try {
      container = await runtime.inspectContainer(containerName);
    } catch (err) {
      // The engine itself is out of reach: that says nothing about the workload.
      logger.warn({ err, container: containerName }, 'workload watch: engine not reachable');
      return;
    }
    if (this.deps.paused()) return;
    const next = conditionOf(
      container,
      containerName,
      this.last,
      this.condition,
      this.now().toISOString(),
    );
    this.last = container
      ? { containerId: container.id, restartCount: container.restartCount }
      : null;
    if (sameCondition(this.condition, next)) return;
    const first = this.condition === null;
    this.condition = next;
    if (next.problem) {
      logger.error(
        { container: containerName, problem: next.problem },
        `workload is down: ${next.problem.message}`,
      );
    } else if (!first) {
      logger.info({ container: containerName }, 'workload is running again');
    }
    this.deps.onChange(next);
  }
}
