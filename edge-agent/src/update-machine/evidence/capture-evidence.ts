import type { FailureEvidence } from '@opcfleet/contracts';
import type { ContainerRuntime } from '../../container-runtime/container-runtime.port';
import { CONTRACT_BOUNDS, evidenceLines, keepNewest } from './evidence-lines';
import { DEFAULT_REDACTION } from './redaction';

export interface EvidenceSettings {
  /** Lines asked of the failed container's log (at most the contract's 50). */
  workloadLines: number;
  /** Compiled redaction patterns (redaction.ts), applied to both sources. */
  redaction: readonly RegExp[];
}

export const DEFAULT_EVIDENCE_SETTINGS: EvidenceSettings = {
  workloadLines: CONTRACT_BOUNDS.maxLines,
  redaction: DEFAULT_REDACTION,
};

/** Bytes read of the engine's answer: room for redaction to see a whole PEM key, still small. */
const WORKLOAD_READ_BYTES = 64 * 1024;
/** An engine that does not answer does not hold the rollback up for long. */
const LOGS_TIMEOUT_MS = 5000;

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The evidence of a job whose new container failed, taken before the rollback removes that
 * container: its last log lines and the agent's lines for the job so far, redacted and within
 * the contract's bounds. A log the engine will not give is said in `workloadLogError`; the
 * evidence never fails the rollback.
 */
export async function captureEvidence(
  runtime: ContainerRuntime,
  container: string | undefined,
  agentLines: readonly string[],
  settings: EvidenceSettings,
): Promise<FailureEvidence> {
  let workload = { lines: [] as string[], truncated: false };
  let workloadLogError: string | undefined;
  if (container && settings.workloadLines > 0) {
    try {
      const lines = await withTimeout(
        runtime.logsTail(container, {
          lines: Math.min(settings.workloadLines, CONTRACT_BOUNDS.maxLines),
          maxBytes: WORKLOAD_READ_BYTES,
        }),
        LOGS_TIMEOUT_MS,
      );
      workload = evidenceLines(lines.join('\n'), settings.redaction);
    } catch (error) {
      workloadLogError = ((error as Error)?.message ?? String(error)).slice(0, 512);
    }
  }
  const agent = evidenceLines(agentLines.join('\n'), settings.redaction);
  return {
    workloadLog: workload.lines,
    agentLog: agent.lines,
    truncated: workload.truncated || agent.truncated,
    ...(workloadLogError !== undefined && { workloadLogError }),
  };
}

/** Evidence taken earlier, with the agent's lines logged since (redacted) added after its own. */
export function withLaterAgentLines(
  evidence: FailureEvidence | undefined,
  laterLines: readonly string[],
  settings: EvidenceSettings,
): FailureEvidence {
  const later = evidenceLines(laterLines.join('\n'), settings.redaction);
  const agent = keepNewest([...(evidence?.agentLog ?? []), ...later.lines]);
  return {
    workloadLog: evidence?.workloadLog ?? [],
    agentLog: agent.lines,
    truncated: (evidence?.truncated ?? false) || later.truncated || agent.truncated,
    ...(evidence?.workloadLogError !== undefined && {
      workloadLogError: evidence.workloadLogError,
    }),
  };
}
