import type { RolloutSummary } from '../api/types';
import { isListRow, withChanges } from './rollout-list';

const counts = {
  total: 2,
  pending: 1,
  inFlight: 1,
  retrying: 0,
  succeeded: 0,
  failed: 0,
  cancelled: 0,
  skipped: 0,
};

/** A summary as `GET /rollouts` lists it and the rollout stream sends it. */
const summary = (rolloutId: string, status: RolloutSummary['status']): RolloutSummary => ({
  rolloutId,
  status,
  kind: 'update',
  image: 'registry.local/opc-core:4.0.0',
  targetVersion: '4.0.0',
  batchSize: 1,
  maxFailures: 0,
  phases: [],
  currentPhase: 0,
  startedAt: '2026-11-30T22:00:00.000Z',
  counts,
  percentDone: 0,
});

describe('the rollout list, kept current by the rollout stream', () => {
  it('takes a whole summary as a row; one short of a field a row shows is not', () => {
    expect(isListRow(summary('r1', 'Paused'))).toBe(true);
    const { targetVersion: _, ...noTarget } = summary('r1', 'Paused');
    expect(isListRow(noTarget)).toBe(false);
    expect(isListRow({ rolloutId: 'r1', status: 'Paused', percentDone: 40 })).toBe(false);
    // A config rollout shows its configuration's version instead.
    expect(isListRow({ ...noTarget, kind: 'config', configVersion: 4 })).toBe(true);
    expect(isListRow({ ...noTarget, kind: 'config' })).toBe(false);
  });

  it("replaces each changed rollout's row in place, the last change winning, and adds none", () => {
    const rows = [summary('r2', 'Running'), summary('r1', 'Running')];
    const changed = withChanges(rows, [
      summary('r1', 'Paused'),
      summary('r9', 'Running'),
      summary('r1', 'Running'),
      summary('r1', 'Cancelled'),
    ]);
    expect(changed.map((row) => `${row.rolloutId} ${row.status}`)).toEqual([
      'r2 Running',
      'r1 Cancelled',
    ]);
    expect(rows[1].status).toBe('Running');
  });
});
