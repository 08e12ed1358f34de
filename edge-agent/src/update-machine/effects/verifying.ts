import { setTimeout as sleep } from 'node:timers/promises';
import type { UpdateJobEvent } from '../update-machine';
import { at, stepFailed, type Effect } from './effect';
import { keepOldStopped } from './old-container';
import { crashReason, probeOnce } from './workload-health';

/**
 * The new container must stay up for the settle period, then pass the probe (if any) within
 * its budget; the engine's HEALTHCHECK counts only when it says something ("unhealthy").
 */
export const verify: Effect = async (ctx, env) => {
  const health = env.workload.health;
  const interval = health.probeIntervalMs ?? 250;
  const fail = (message: string): UpdateJobEvent => ({
    type: 'STEP_FAILED',
    at: at(env),
    error: { code: 'unhealthy', message },
  });
  try {
    const first = await env.runtime.inspectContainer(ctx.containerName);
    const baseline = first?.restartCount ?? 0;
    const settleUntil = Date.now() + health.settleMs;
    for (;;) {
      const container = await env.runtime.inspectContainer(ctx.containerName);
      const crash = crashReason(container, baseline);
      if (crash) return fail(crash);
      await keepOldStopped(ctx, env);
      if (Date.now() >= settleUntil) break;
      await sleep(Math.min(interval, Math.max(0, settleUntil - Date.now())), undefined, {
        signal: env.signal,
      });
    }
    const probeUntil = Date.now() + health.probeTimeoutMs;
    let lastProblem: string | null = null;
    for (;;) {
      const container = await env.runtime.inspectContainer(ctx.containerName);
      const crash = crashReason(container, baseline);
      if (crash) return fail(crash);
      lastProblem = await probeOnce(health, container!, env);
      if (!lastProblem) return { type: 'VERIFIED', at: at(env), restartCount: baseline };
      if (Date.now() >= probeUntil) {
        return fail(`health probe did not pass within ${health.probeTimeoutMs} ms: ${lastProblem}`);
      }
      await sleep(interval, undefined, { signal: env.signal });
    }
  } catch (error) {
    return stepFailed(env, error, 'verify_failed');
  }
};
