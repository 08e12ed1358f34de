import type { ContainerInfo } from '../../container-runtime/container-runtime.port';
import { httpGet } from '../../container-runtime/http-get';
import type { HealthSettings } from '../workload-settings';
import type { EffectEnv } from './effect';

/** Why a freshly started container is not healthy, or null while it looks fine. */
export function crashReason(
  container: ContainerInfo | null,
  baselineRestarts: number,
): string | null {
  if (!container) return 'the new container disappeared';
  if (container.restarting || container.restartCount > baselineRestarts) {
    return `the new container is restarting (exit code ${container.exitCode}, ${container.restartCount} restarts)`;
  }
  if (!container.running) return `the new container exited with code ${container.exitCode}`;
  if (container.health === 'unhealthy') return 'the engine reports the new container unhealthy';
  return null;
}

/** Where an HTTP probe connects: the container's own address (its port), unless a host is set. */
export function httpProbeUrl(
  probe: { port: number; path: string; host?: string },
  container: ContainerInfo,
): string | undefined {
  const host = probe.host ?? container.ipAddresses[0];
  return host ? `http://${host}:${probe.port}${probe.path}` : undefined;
}

export async function probeOnce(
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
    const url = httpProbeUrl(probe, container);
    if (!url) return 'the new container has no address to probe';
    const response = await httpGet(url, {
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
