import Docker from 'dockerode';
import type { ReloadVerdict, WorkloadReloader } from '../config-apply/config-decision';
import { awaitConfigVerdict } from './config-verdict';

/**
 * Reload by signal through the engine's kill API (SIGHUP by default), as a workload that
 * re-reads its file on a signal expects. Without a verdict URL, a delivered signal counts as
 * accepted: the engine cannot tell whether the workload liked the file.
 */
export class SignalReloader implements WorkloadReloader {
  private readonly docker: Docker;

  constructor(
    private readonly options: {
      dockerHost: string;
      container: string;
      signal: string;
      verdictUrl?: string;
      settleMs?: number;
      timeoutMs: number;
    },
  ) {
    this.docker = new Docker(engineConnection(options.dockerHost));
  }

  async reload(): Promise<ReloadVerdict> {
    const { container, signal, verdictUrl, timeoutMs } = this.options;
    await this.docker.getContainer(container).kill({ signal });
    if (!verdictUrl) return { accepted: true };
    return awaitConfigVerdict(verdictUrl, { settleMs: this.options.settleMs ?? 300, timeoutMs });
  }
}

export function engineConnection(dockerHost: string): Docker.DockerOptions {
  if (dockerHost.startsWith('unix://')) return { socketPath: dockerHost.slice('unix://'.length) };
  const url = new URL(dockerHost.replace(/^tcp:/, 'http:'));
  return { host: url.hostname, port: Number(url.port || 2375), protocol: 'http' };
}
