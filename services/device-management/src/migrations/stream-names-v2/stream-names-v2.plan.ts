import {
  decideClient,
  evolveClient,
  initialClientState,
  type ClientCommand,
  type ClientState,
} from '../../clients/domain/client.decider';
import type { ClientEvent } from '../../clients/domain/client.events';
import type { IsoTimestamp } from '../../shared/domain/domain-event';
import { clientStream, jobStream, rolloutStream } from '../../shared/domain/stream-names';

/**
 * Stream names before v2 joined ids with `-`: `client-{tenantId}-{clientId}`,
 * `update-job-{jobId}`, `config-job-{jobId}`, `rollout-{rolloutId}`. They cannot be parsed
 * (ids hold `-`), so each stream's new name comes from what its first event says it is about.
 */
export const LEGACY_PREFIXES = ['client-', 'update-job-', 'config-job-', 'rollout-'] as const;

/** What the plan needs of a legacy stream: its name and events (jobs: the first is enough). */
export interface LegacyStream {
  name: string;
  revision: number;
  events: ReadonlyArray<{ type: string; data: unknown; metadata: { tenantId?: string } }>;
}

/** An event to append to a renamed client stream, at its revision. */
export interface Repair {
  streamName: string;
  /** The owner of the stream, in whose name the ends are recorded. */
  tenantId: string;
  expectedRevision: number;
  events: ClientEvent[];
  /** The foreign job each event ends, for its name-based id. */
  jobIds: string[];
}

export interface StreamNamesV2Plan {
  renames: Array<{ from: string; to: string }>;
  /**
   * Client streams that two tenants shared (their ids joined alike): the other tenant's jobs
   * still marked in flight there are ended (`cancelled`), so the owner is not blocked by them.
   */
  repairs: Repair[];
  /** Events another tenant wrote into a shared client stream, for the operator's log. */
  foreign: Array<{ stream: string; tenantId: string | undefined; type: string; jobId?: string }>;
  /** Streams whose first event does not say what they are about: left as they are. */
  unreadable: string[];
}

type Data = Record<string, unknown>;
const text = (data: unknown, key: string) => {
  const value = (data as Data | null)?.[key];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
};

/** The v2 name of one legacy stream, checked against its old name, or undefined. */
function newNameOf(stream: LegacyStream): string | undefined {
  const [first] = stream.events;
  if (!first) return undefined;
  const tenantId = text(first.data, 'tenantId');
  if (!tenantId) return undefined;
  if (stream.name.startsWith('client-') && first.type === 'ClientRegistered') {
    const clientId = text(first.data, 'clientId');
    return clientId && stream.name === `client-${tenantId}-${clientId}`
      ? clientStream(tenantId, clientId)
      : undefined;
  }
  for (const kind of ['update', 'config'] as const) {
    if (!stream.name.startsWith(`${kind}-job-`)) continue;
    const jobId = text(first.data, 'jobId');
    return jobId && stream.name === `${kind}-job-${jobId}`
      ? jobStream(kind, tenantId, jobId)
      : undefined;
  }
  if (stream.name.startsWith('rollout-') && first.type === 'RolloutStarted') {
    const rolloutId = text(first.data, 'rolloutId');
    return rolloutId && stream.name === `rollout-${rolloutId}`
      ? rolloutStream(tenantId, rolloutId)
      : undefined;
  }
  return undefined;
}

/** Renames every legacy stream to its v2 name and ends foreign jobs in shared client streams. */
export function planStreamNamesV2(
  streams: readonly LegacyStream[],
  at: IsoTimestamp,
): StreamNamesV2Plan {
  const plan: StreamNamesV2Plan = { renames: [], repairs: [], foreign: [], unreadable: [] };
  for (const stream of streams) {
    const to = newNameOf(stream);
    if (!to) {
      plan.unreadable.push(stream.name);
      continue;
    }
    plan.renames.push({ from: stream.name, to });
    if (stream.name.startsWith('client-')) planClientRepair(stream, to, at, plan);
  }
  return plan;
}

function planClientRepair(
  stream: LegacyStream,
  to: string,
  at: IsoTimestamp,
  plan: StreamNamesV2Plan,
): void {
  const owner = text(stream.events[0].data, 'tenantId')!;
  const foreignJobs = new Set<string>();
  let state: ClientState = initialClientState;
  for (const event of stream.events) {
    state = evolveClient(state, event as ClientEvent);
    const tenantId = event.metadata.tenantId;
    if (tenantId === undefined || tenantId === owner) continue;
    const jobId = text(event.data, 'jobId');
    if (jobId) foreignJobs.add(jobId);
    plan.foreign.push({ stream: stream.name, tenantId, type: event.type, ...(jobId && { jobId }) });
  }
  if (!state || foreignJobs.size === 0) return;
  const ends: ClientCommand[] = [
    ...(state.updateInFlight && foreignJobs.has(state.updateInFlight.jobId)
      ? [
          {
            type: 'EndUpdate' as const,
            data: { jobId: state.updateInFlight.jobId, outcome: 'cancelled' as const, at },
          },
        ]
      : []),
    ...state.pendingConfigJobs
      .filter((job) => foreignJobs.has(job.jobId))
      .map((job) => ({
        type: 'EndConfig' as const,
        data: { jobId: job.jobId, version: job.version, outcome: 'cancelled' as const, at },
      })),
  ];
  const events: ClientEvent[] = [];
  const jobIds: string[] = [];
  for (const command of ends) {
    const decided = decideClient(command, state);
    state = decided.reduce(evolveClient, state);
    events.push(...decided);
    jobIds.push(...decided.map(() => (command.data as { jobId: string }).jobId));
  }
  if (events.length > 0) {
    plan.repairs.push({
      streamName: to,
      tenantId: owner,
      expectedRevision: stream.revision,
      events,
      jobIds,
    });
  }
}
