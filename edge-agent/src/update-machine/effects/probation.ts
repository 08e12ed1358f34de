import { setTimeout as sleep } from 'node:timers/promises';
import type { UpdateJobEvent } from '../update-machine';
import { at, stepFailed, type Effect } from './effect';
import { keepOldStopped } from './old-container';
import { crashReason, probeOnce } from './workload-health';

/**
 * After the health check: the new version must keep running until the probation ends, with
 * the old container kept (stopped) for a rollback. It fails when the new container exits,
 * restarts (even once: the engine's restart policy hides crashes otherwise), turns unhealthy
 * in the engine's eyes, or fails its probe for longer than the probe budget. Re-run after a
 * crash of the agent, it watches until the same end (`probationUntil`) against the same
 * restart count.
 */
export const watchProbation: Effect = async (ctx, env) => {
  const until = Date.parse(ctx.probationUntil ?? '') || 0;
  const health = env.workload.health;
  const interval = env.workload.probationCheckIntervalMs ?? 1000;
  const fail = (problem: string): UpdateJobEvent => {
    const passed = Math.round((env.now().getTime() - (until - (ctx.probationMs ?? 0))) / 1000);
    return {
      type: 'STEP_FAILED',
      at: at(env),
      error: {
        code: 'probation_failed',
        message: `${problem}, ${passed} s into the ${Math.round((ctx.probationMs ?? 0) / 1000)} s probation`,
      },
    };
  };
  let probeFailingSince: number | null = null;
  try {
    for (;;) {
      const container = await env.runtime.inspectContainer(ctx.containerName);
      const crash = crashReason(container, ctx.newRestartBaseline ?? 0);
      if (crash) return fail(crash);
      await keepOldStopped(ctx, env);
      const problem = await probeOnce(health, container!, env);
      const now = env.now().getTime();
      if (!problem) probeFailingSince = null;
      else if ((probeFailingSince ??= now) + health.probeTimeoutMs <= now) {
        return fail(`health probe failing for ${health.probeTimeoutMs} ms: ${problem}`);
      }
      if (now >= until) return { type: 'PROBATION_PASSED', at: at(env) };
      await sleep(Math.min(interval, until - now), undefined, { signal: env.signal });
    }
  } catch (error) {
    return stepFailed(env, error, 'probation_failed');
  }
};
