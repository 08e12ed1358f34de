import type { RolloutSummary } from '../api/types';

/**
 * Whether a change (a `rollout` event) carries everything a row of the rollout list shows, so
 * it can replace the row without a reload.
 */
export function isListRow(change: Partial<RolloutSummary>): change is RolloutSummary {
  const { counts } = change;
  const target = change.kind === 'config' ? change.configVersion : change.targetVersion;
  return (
    typeof change.rolloutId === 'string' &&
    typeof change.status === 'string' &&
    typeof change.percentDone === 'number' &&
    typeof change.startedAt === 'string' &&
    typeof counts?.succeeded === 'number' &&
    typeof counts.failed === 'number' &&
    target !== undefined
  );
}

/**
 * `rows` with each change in place of its rollout's row, the last change of a rollout winning.
 * Changes of rollouts not among the rows are left out: where a rollout goes in the list is the
 * server's to say.
 */
export function withChanges(
  rows: readonly RolloutSummary[],
  changes: Iterable<RolloutSummary>,
): RolloutSummary[] {
  const latest = new Map([...changes].map((change) => [change.rolloutId, change]));
  return rows.map((row) => latest.get(row.rolloutId) ?? row);
}
