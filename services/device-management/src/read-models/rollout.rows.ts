import type { ProjectedRow, RecordedEvent } from '@opcfleet/event-store';
import { targetPosition, wakeAtOf, type Rollout } from '../rollouts/domain/rollout.decider';
import type { RolloutEvent } from '../rollouts/domain/rollout.events';
import { READ_MODEL_SCHEMA } from './read-model.entities';
import { toRolloutClientDto, toRolloutSummaryDto } from './rollout.dto';

export const ROLLOUTS_TABLE = `${READ_MODEL_SCHEMA}.rollouts`;
export const ROLLOUT_CLIENTS_TABLE = `${READ_MODEL_SCHEMA}.rollout_clients`;

/**
 * The rows of a rollout stream at `revision`: its summary, and the entry of each target these
 * events touched (all of them when the rollout starts). A wave of a 10,000-client rollout so
 * writes a handful of entry rows, not 10,000. `events` are the stream's last events, up to
 * `revision`. An entry keeps the revision of the event that last touched it, so one append at
 * a time (inline) and a batch of many (the catch-up, a rebuild) write the same rows.
 */
export function rolloutRows(
  streamName: string,
  state: Rollout,
  revision: number,
  events: readonly Pick<RecordedEvent, 'type' | 'data'>[],
): ProjectedRow[] {
  const { rolloutId, tenantId } = state.request;
  const summary: ProjectedRow = {
    table: ROLLOUTS_TABLE,
    key: { rollout_id: rolloutId },
    revision,
    values: {
      tenant_id: tenantId,
      stream_name: streamName,
      status: state.status,
      started_at: state.request.startedAt,
      ended_at: state.endedAt ?? null,
      wake_at: wakeAtOf(state) ?? null,
      document: toRolloutSummaryDto(state),
    },
  };
  const touched = touchedTargets(events as readonly RolloutEvent[], revision, state);
  const entries = [...touched].map(([clientId, { position, revision }]): ProjectedRow => {
    const document = toRolloutClientDto(state, clientId);
    return {
      table: ROLLOUT_CLIENTS_TABLE,
      key: { rollout_id: rolloutId, client_id: clientId },
      revision,
      values: { tenant_id: tenantId, position, state: document.state, document },
    };
  });
  return [summary, ...entries];
}

/**
 * The targets whose entry these events changed, with their position in the targets and the
 * revision of the last event that changed it (the events end at `lastRevision`).
 */
function touchedTargets(
  events: readonly RolloutEvent[],
  lastRevision: number,
  state: Rollout,
): Map<string, { position: number; revision: number }> {
  const touched = new Map<string, { position: number; revision: number }>();
  const touch = (clientId: string, revision: number) => {
    const position = targetPosition(state, clientId);
    if (position !== undefined) touched.set(clientId, { position, revision });
  };
  events.forEach((event, index) => {
    const revision = lastRevision - (events.length - 1 - index);
    if (event.type === 'RolloutStarted') {
      for (const clientId of state.request.targets) touch(clientId, revision);
    }
    if (event.type === 'RolloutRollbackStarted') {
      for (const { clientId } of [...event.data.targets, ...event.data.left]) {
        touch(clientId, revision);
      }
    }
    if ('clientId' in event.data) touch(event.data.clientId, revision);
  });
  return touched;
}
