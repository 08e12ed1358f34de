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
 * writes a handful of entry rows, not 10,000.
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
  const touched = touchedTargets(events as readonly RolloutEvent[], state);
  const entries = [...touched].map(([clientId, position]): ProjectedRow => {
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

/** The targets whose entry these events changed, with their position in the targets. */
function touchedTargets(events: readonly RolloutEvent[], state: Rollout): Map<string, number> {
  if (events.some((event) => event.type === 'RolloutStarted')) {
    return new Map(state.request.targets.map((clientId, position) => [clientId, position]));
  }
  const touched = new Map<string, number>();
  const touch = (clientId: string) => {
    const position = targetPosition(state, clientId);
    if (position !== undefined) touched.set(clientId, position);
  };
  for (const event of events) {
    if (event.type === 'RolloutRollbackStarted') {
      for (const { clientId } of [...event.data.targets, ...event.data.left]) touch(clientId);
    }
    if ('clientId' in event.data && !touched.has(event.data.clientId)) touch(event.data.clientId);
  }
  return touched;
}
