import type Docker from 'dockerode';
import { dockerClient } from '../container-runtime/docker-client';
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
    this.docker = dockerClient(options.dockerHost);
  }

  async reload(): Promise<ReloadVerdict> {
    const { container, signal, verdictUrl, timeoutMs } = this.options;
    await this.docker.getContainer(container).kill({ signal });
    if (!verdictUrl) return { accepted: true };
    return awaitConfigVerdict(verdictUrl, { settleMs: this.options.settleMs ?? 300, timeoutMs });
  }
}
