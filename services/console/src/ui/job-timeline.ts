import type { JobEvent } from '../api/types';

/** One line of a job's timeline: what happened, when, and how long after the previous one. */
export interface TimelineEntry {
  revision: number;
  at: string;
  what: string;
  afterMs?: number;
}

/** The phases of a job as its events tell them (event types are the service's, api.md). */
export function jobTimeline(events: readonly JobEvent[]): TimelineEntry[] {
  return events.map((event, index) => {
    const previous = events[index - 1];
    return {
      revision: event.revision,
      at: event.recordedAt,
      what: describeEvent(event),
      ...(previous && {
        afterMs: Date.parse(event.recordedAt) - Date.parse(previous.recordedAt),
      }),
    };
  });
}

function describeEvent({ type, data }: JobEvent): string {
  const phase = typeof data.phase === 'string' ? data.phase.replace(/_/g, ' ') : undefined;
  const progress = data.progress as { percent?: number } | undefined;
  const reason = (data.reason ?? (data.error as { message?: string } | undefined)?.message) as
    string | undefined;
  switch (type) {
    case 'UpdateRequested':
      return `requested: ${String(data.image ?? '')}`;
    case 'ConfigChangeRequested':
      return `configuration v${String(data.version ?? '')} requested`;
    case 'UpdateCommandDispatched':
    case 'ConfigCommandDispatched':
      return 'sent to the device';
    case 'UpdateReceived':
    case 'ConfigReceived':
      return 'received by the device';
    case 'UpdatePhaseReported':
      return progress?.percent !== undefined
        ? `${phase} ${Math.round(progress.percent)}%`
        : (phase ?? 'phase reported');
    case 'UpdateSucceeded':
      return 'committed';
    case 'UpdateRolledBack':
      return `rolled back${reason ? `: ${reason}` : ''}`;
    case 'UpdateFailed':
      return `failed${reason ? `: ${reason}` : ''}`;
    case 'ConfigApplied':
      return 'applied';
    case 'ConfigRejected':
      return `rejected${reason ? `: ${reason}` : ''}`;
    case 'UpdateTimedOut':
    case 'ConfigTimedOut':
      return 'timed out: no report in time';
    case 'UpdateCancelled':
    case 'ConfigCancelled':
      return `cancelled${reason ? `: ${reason}` : ''}`;
    default:
      return type;
  }
}

export const formatDuration = (ms?: number) =>
  ms === undefined ? '' : ms < 1000 ? `+${ms} ms` : `+${(ms / 1000).toFixed(1)} s`;

const FAILURE_PHASES = new Set(['rolling_back', 'rolled_back', 'failed', 'rejected', 'cancelled']);
const FAILURE_EVENTS = new Set(['UpdateRolledBack', 'UpdateFailed', 'UpdateTimedOut']);

/**
 * The phase a failed update was in when it went wrong: the last phase the device reported
 * before it started rolling back (or failed). Undefined while nothing went wrong.
 */
export function failedPhase(events: readonly JobEvent[]): string | undefined {
  let last: string | undefined;
  for (const { type, data } of events) {
    const phase =
      type === 'UpdateReceived'
        ? 'received'
        : typeof data.phase === 'string'
          ? data.phase
          : undefined;
    if ((phase && FAILURE_PHASES.has(phase)) || FAILURE_EVENTS.has(type)) {
      return last?.replace(/_/g, ' ') ?? 'before the device started';
    }
    if (phase) last = phase;
  }
  return undefined;
}
