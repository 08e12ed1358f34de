import { DomainError } from '../../shared/domain/domain-error';

/** Halt when more than `percent` of the finished jobs failed, once `minFinished` finished. */
export interface FailureRate {
  percent: number;
  minFinished: number;
}

/** One phase of a rollout, as stored: its size is a number of targets. */
export interface RolloutPhase {
  size: number;
  /** At most this many jobs of the phase in flight at once. */
  batchSize: number;
  /** Wait this long after the phase ends before the next one (0: at once). */
  soakSeconds: number;
  /** An admin must approve the phase before its first job. */
  requiresApproval: boolean;
  /** Halt when more jobs of this phase than this failed. */
  maxFailures?: number;
  maxFailureRate?: FailureRate;
}

/** A phase as asked for: its size a count or a percentage of the targets. */
export interface RolloutPhaseRequest extends Omit<RolloutPhase, 'size' | 'batchSize'> {
  size?: { count: number } | { percent: number };
  batchSize?: number;
}

/**
 * The phases of a rollout of `total` targets, in order. Each takes its size (a percentage
 * rounds up, so a 1% canary of 50 clients is 1 client) of the targets not yet taken; the last
 * takes all the rest whatever its size says. A phase left without targets is dropped.
 */
export function resolvePhases(
  requested: readonly RolloutPhaseRequest[],
  total: number,
  defaultBatchSize: number,
): RolloutPhase[] {
  if (requested.length === 0) {
    throw new DomainError('invalid_input', 'a rollout needs at least one phase');
  }
  const phases: RolloutPhase[] = [];
  let remaining = total;
  requested.forEach(({ size, batchSize, ...rest }, index) => {
    if (remaining === 0) return;
    const asked =
      index === requested.length - 1 || !size
        ? remaining
        : 'count' in size
          ? size.count
          : Math.ceil((size.percent * total) / 100);
    const taken = Math.min(remaining, Math.max(1, asked));
    remaining -= taken;
    phases.push({ ...rest, size: taken, batchSize: batchSize ?? defaultBatchSize });
  });
  return phases;
}

/** The phases of a rollout that was started without any: one of all its targets. */
export function singlePhase(total: number, batchSize: number): RolloutPhase[] {
  return [{ size: total, batchSize, soakSeconds: 0, requiresApproval: false }];
}

/** The index of the first target of each phase. */
export function phaseOffsets(phases: readonly RolloutPhase[]): number[] {
  const offsets: number[] = [];
  let offset = 0;
  for (const phase of phases) {
    offsets.push(offset);
    offset += phase.size;
  }
  return offsets;
}
