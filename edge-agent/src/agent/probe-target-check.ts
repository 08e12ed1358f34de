import type { Logger } from 'pino';
import type { ContainerRuntime } from '../container-runtime/container-runtime.port';
import { httpGet } from '../container-runtime/http-get';
import { httpProbeUrl } from '../update-machine/effects/workload-health';
import type { WorkloadSettings } from '../update-machine/workload-settings';

/**
 * At start, asks the running workload what every update's health check will ask it. A probe
 * that gets no good answer now (most often a port published on the host given instead of the
 * container's own) would roll every update back after its timeout: said once, plainly, here.
 * Answers what it found, for tests; never throws.
 */
export async function warnWhenProbeTargetSilent(
  runtime: ContainerRuntime,
  workload: WorkloadSettings,
  logger: Logger,
): Promise<'answered' | 'silent' | 'not checked'> {
  const probe = workload.health.probe;
  if (probe?.kind !== 'http') return 'not checked';
  const container = await runtime.inspectContainer(workload.containerName).catch(() => null);
  if (!container?.running) return 'not checked';
  const url = httpProbeUrl(probe, container);
  const answer = url
    ? await httpGet(url, { timeoutMs: 2000, maxBytes: 1024 }).then(
        (response) => response.status,
        (error: Error) => error.message,
      )
    : 'the workload container has no address';
  if (typeof answer === 'number' && answer >= 200 && answer < 300) return 'answered';
  logger.warn(
    { url, answer, healthProbePort: probe.port, workloadContainer: workload.containerName },
    'the health probe gets no good answer from the running workload, so every update would roll back: EDGE_AGENT_HEALTH_PROBE_PORT is the port inside the container (the probe connects to its own address), not a port published on the host',
  );
  return 'silent';
}
