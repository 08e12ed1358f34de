import type { WorkloadProblem } from '@opcfleet/contracts';
import type { ContainerInfo } from '../container-runtime/container-runtime.port';

export interface WorkloadCondition {
  running: boolean;
  problem?: WorkloadProblem;
}

/** What the watch remembers of its last look, to tell a restart that happened in between. */
export interface LastLook {
  containerId: string;
  restartCount: number;
}

/**
 * The workload's condition from one look at its container: missing, exited, restarted since the
 * last look (a crash hidden by a restart policy), unhealthy in the engine's eyes, or fine.
 * Pure; `since` is when the problem was first seen (kept while the problem stays the same).
 */
export function conditionOf(
  container: ContainerInfo | null,
  name: string,
  last: LastLook | null,
  previous: WorkloadCondition | null,
  now: string,
): WorkloadCondition {
  const problem = (code: WorkloadProblem['code'], message: string): WorkloadCondition => ({
    running: !!container?.running,
    problem: {
      code,
      message,
      since: previous?.problem?.code === code ? previous.problem.since : now,
    },
  });
  if (!container) return problem('missing', `no container named ${name}`);
  const restartedSinceLastLook =
    last?.containerId === container.id && container.restartCount > last.restartCount;
  if (container.restarting || restartedSinceLastLook) {
    return problem(
      'restarting',
      `${name} restarted (exit code ${container.exitCode}, ${container.restartCount} restarts)`,
    );
  }
  if (!container.running) {
    return problem('exited', `${name} exited with code ${container.exitCode}`);
  }
  if (container.health === 'unhealthy') {
    return problem('unhealthy', `the engine reports ${name} unhealthy`);
  }
  return { running: true };
}

export const sameCondition = (a: WorkloadCondition | null, b: WorkloadCondition) =>
  !!a && a.running === b.running && a.problem?.code === b.problem?.code;
