import { foldRollout } from '../rollouts/domain/rollout.decider';
import type { RolloutEvent } from '../rollouts/domain/rollout.events';
import { rolloutStream } from '../shared/domain/stream-names';
import { readModelRows } from './read-model.rows';
import { ROLLOUT_CLIENTS_TABLE, ROLLOUTS_TABLE } from './rollout.rows';

const rolloutId = '3b0c6f0e-2a8d-4c52-9d4e-7f3a1b2c9d10';
const streamName = rolloutStream('acme', rolloutId);
const started: RolloutEvent = {
  type: 'RolloutStarted',
  data: {
    rolloutId,
    tenantId: 'acme',
    image: 'registry.example.com/opc-core',
    targetVersion: '2.0.0',
    targets: ['press-1', 'press-2', 'press-3'],
    selector: { labels: { line: 'A' } },
    batchSize: 2,
    maxFailures: 0,
    startedAt: '2026-11-30T10:00:00.000Z',
  },
};
const requested = (clientId: string, jobId: string): RolloutEvent => ({
  type: 'RolloutJobRequested',
  data: { rolloutId, clientId, jobId, at: '2026-11-30T10:00:01.000Z' },
});
const jobOf2 = 'a1b2c3d4-0000-4000-8000-000000000002';

/** The rows of the rollout after `history`, for the last `appended` of them. */
function rowsAfter(history: RolloutEvent[], appended: number) {
  return readModelRows({
    streamName,
    stateAfter: foldRollout(history),
    revision: history.length - 1,
    events: history.slice(-appended),
  });
}

const entries = (rows: ReturnType<typeof rowsAfter>) =>
  rows.filter((row) => row.table === ROLLOUT_CLIENTS_TABLE);

describe('rollout rows: a summary per rollout, an entry per target', () => {
  it('writes the summary and every target as pending when the rollout starts', () => {
    const rows = rowsAfter([started], 1);
    expect(rows[0]).toMatchObject({
      table: ROLLOUTS_TABLE,
      key: { rollout_id: rolloutId },
      revision: 0,
      values: {
        tenant_id: 'acme',
        stream_name: streamName,
        status: 'Running',
        started_at: '2026-11-30T10:00:00.000Z',
        ended_at: null,
        document: {
          rolloutId,
          status: 'Running',
          labels: { line: 'A' },
          counts: { total: 3, pending: 3, inFlight: 0, succeeded: 0, failed: 0, skipped: 0 },
          percentDone: 0,
        },
      },
    });
    expect(entries(rows).map((row) => [row.key, (row as { values: object }).values])).toEqual(
      ['press-1', 'press-2', 'press-3'].map((clientId, position) => [
        { rollout_id: rolloutId, client_id: clientId },
        {
          tenant_id: 'acme',
          position,
          state: 'pending',
          document: { clientId, state: 'pending' },
        },
      ]),
    );
  });

  it("writes only the entries a wave touched, at the wave's revision", () => {
    const history = [started, requested('press-2', jobOf2)];
    const rows = rowsAfter(history, 1);
    expect(entries(rows)).toEqual([
      {
        table: ROLLOUT_CLIENTS_TABLE,
        key: { rollout_id: rolloutId, client_id: 'press-2' },
        revision: 1,
        values: {
          tenant_id: 'acme',
          position: 1,
          state: 'in_flight',
          document: { clientId: 'press-2', state: 'in_flight', jobId: jobOf2 },
        },
      },
    ]);
    expect(rows[0]).toMatchObject({ values: { document: { counts: { inFlight: 1 } } } });
  });

  it('writes an entry once however many of its events one append holds', () => {
    const finished: RolloutEvent = {
      type: 'RolloutJobFinished',
      data: { rolloutId, clientId: 'press-2', jobId: jobOf2, outcome: 'failed', at: 'x' },
    };
    const rows = rowsAfter([started, requested('press-2', jobOf2), finished], 2);
    expect(entries(rows)).toHaveLength(1);
    expect(entries(rows)[0]).toMatchObject({ values: { state: 'failed' } });
  });

  it('writes the rows of one append at a time and of a batch of appends alike (inline, rebuild)', () => {
    const finished: RolloutEvent = {
      type: 'RolloutJobFinished',
      data: { rolloutId, clientId: 'press-2', jobId: jobOf2, outcome: 'succeeded', at: 'x' },
    };
    const history = [started, requested('press-2', jobOf2), requested('press-1', jobOf2), finished];
    // Each append on its own, the later row of a key replacing the earlier (the store keeps
    // the row of the highest revision).
    const oneByOne = new Map<string, unknown>();
    for (let end = 1; end <= history.length; end++) {
      for (const row of rowsAfter(history.slice(0, end), 1)) {
        oneByOne.set(JSON.stringify(row.key), row);
      }
    }
    const batch = new Map(
      rowsAfter(history, history.length).map((row) => [JSON.stringify(row.key), row]),
    );
    expect(batch).toEqual(oneByOne);
    // press-1 as its job was requested, press-2 as its job finished, press-3 as it started.
    expect(entries([...batch.values()])).toMatchObject([
      { key: { client_id: 'press-1' }, revision: 2 },
      { key: { client_id: 'press-2' }, revision: 3 },
      { key: { client_id: 'press-3' }, revision: 0 },
    ]);
  });
});
