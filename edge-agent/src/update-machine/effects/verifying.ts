import { setTimeout as sleep } from 'node:timers/promises';
import type { ContainerInfo } from '../../container-runtime/container-runtime.port';
import { httpGet } from '../../container-runtime/http-get';
import type { UpdateJobEvent } from '../update-machine';
import type { HealthSettings } from '../workload-settings';
import { at, stepError, type Effect, type EffectEnv } from './effect';
import { keepOldStopped } from './old-container';

/** Why a freshly started container is not healthy, or null while it looks fine. */
function crashReason(container: ContainerInfo | null, baselineRestarts: number): string | null {
  if (!container) return 'the new container disappeared';
  if (container.restarting || container.restartCount > baselineRestarts) {
    return `the new container is restarting (exit code ${container.exitCode}, ${container.restartCount} restarts)`;
  }
  if (!container.running) return `the new container exited with code ${container.exitCode}`;
  if (container.health === 'unhealthy') return 'the engine reports the new container unhealthy';
  return null;
}

async function probeOnce(
  settings: HealthSettings,
  container: ContainerInfo,
  env: EffectEnv,
): Promise<string | null> {
  const probe = settings.probe;
  if (!probe) return null;
  try {
    if (probe.kind === 'exec') {
      const result = await env.runtime.exec(container.id, probe.command, 5000);
      return result.exitCode === 0
        ? null
        : `exec probe exited ${result.exitCode}: ${result.output.trim().slice(0, 200)}`;
    }
    const host = probe.host ?? container.ipAddresses[0];
    if (!host) return 'the new container has no address to probe';
    const response = await httpGet(`http://${host}:${probe.port}${probe.path}`, {
      timeoutMs: 2000,
      signal: env.signal,
      maxBytes: 64 * 1024,
    });
    const ok = response.status >= 200 && response.status < 300;
    return ok ? null : `HTTP probe answered ${response.status}`;
  } catch (error) {
    return `probe failed: ${(error as Error).message}`;
  }
}

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
      if (!lastProblem) return { type: 'VERIFIED', at: at(env) };
      if (Date.now() >= probeUntil) {
        return fail(`health probe did not pass within ${health.probeTimeoutMs} ms: ${lastProblem}`);
      }
      await sleep(interval, undefined, { signal: env.signal });
    }
  } catch (error) {
    if (env.signal.aborted) throw error;
    return { type: 'STEP_FAILED', at: at(env), error: stepError(error, 'verify_failed') };
  }
};
