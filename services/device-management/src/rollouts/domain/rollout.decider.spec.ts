import { deciderSpecification } from '../../shared/testing/decider-specification';
import {
  decideRollout,
  decideRolloutAll,
  evolveRollout,
  foldRollout,
  initialRolloutState,
  nextWave,
  progressOf,
} from './rollout.decider';
import type { RolloutEvent, RolloutJobOutcome, RolloutStarted } from './rollout.events';

const given = deciderSpecification({
  decide: decideRollout,
  evolve: evolveRollout,
  initialState: initialRolloutState,
});

const rolloutId = '9d3c1f0a-2b4e-4f6a-8c7d-1e2f3a4b5c6d';
const at = '2026-11-30T10:00:00.000Z';
const started = (maxFailures = 0, targets = ['a', 'b', 'c', 'd', 'e']): RolloutStarted => ({
  type: 'RolloutStarted',
  data: {
    rolloutId,
    tenantId: 'acme',
    image: 'registry.example.com/opc-core:2.1.0',
    targetVersion: '2.1.0',
    targets,
    batchSize: 2,
    maxFailures,
    startedAt: at,
  },
});
const requested = (clientId: string): RolloutEvent => ({
  type: 'RolloutJobRequested',
  data: { rolloutId, clientId, jobId: `job-${clientId}`, at },
});
const finished = (clientId: string, outcome: RolloutJobOutcome = 'succeeded'): RolloutEvent => ({
  type: 'RolloutJobFinished',
  data: { rolloutId, clientId, jobId: `job-${clientId}`, outcome, at },
});
const skipped = (clientId: string): RolloutEvent => ({
  type: 'RolloutClientSkipped',
  data: { rolloutId, clientId, reason: `client ${clientId} not found`, code: 'not_found', at },
});
const finish = (clientId: string, outcome: RolloutJobOutcome = 'succeeded') => ({
  type: 'RecordJobFinished' as const,
  data: { clientId, jobId: `job-${clientId}`, outcome, at },
});

describe('rollout decider', () => {
  it('starts once', () => {
    given([]).when({ type: 'StartRollout', data: started().data }).then([started()]);
    given([started()])
      .when({ type: 'StartRollout', data: started().data })
      .thenThrows('already_exists');
  });

  it('plans waves of at most batchSize jobs in flight, in target order', () => {
    expect(nextWave(foldRollout([started()]))).toEqual(['a', 'b']);
    expect(nextWave(foldRollout([started(), requested('a')]))).toEqual(['b']);
    expect(nextWave(foldRollout([started(), requested('a'), requested('b')]))).toEqual([]);
    // One job ends: one slot frees, the next target takes it.
    expect(
      nextWave(foldRollout([started(), requested('a'), requested('b'), finished('a')])),
    ).toEqual(['c']);
    // A skipped client takes no slot.
    expect(nextWave(foldRollout([started(), skipped('a'), requested('b')]))).toEqual(['c']);
  });

  it('completes when the last target settles, and counts every kind of end', () => {
    const history = [
      started(1),
      requested('a'),
      requested('b'),
      finished('a'),
      finished('b', 'timed_out'),
      skipped('c'),
      requested('d'),
      finished('d'),
      requested('e'),
    ];
    given(history)
      .when(finish('e'))
      .then([finished('e'), { type: 'RolloutCompleted', data: { rolloutId, at } }]);
    const state = foldRollout([...history, finished('e')])!;
    expect(progressOf(state)).toEqual({
      total: 5,
      pending: 0,
      inFlight: 0,
      succeeded: 3,
      failed: 1,
      skipped: 1,
      percentDone: 100,
    });
  });

  it('completes a rollout whose last targets are all skipped', () => {
    given([started(0, ['a', 'b']), skipped('a')])
      .when({
        type: 'RecordClientSkipped',
        data: { clientId: 'b', reason: 'update in flight', code: 'update_in_flight', at },
      })
      .then([
        {
          type: 'RolloutClientSkipped',
          data: {
            rolloutId,
            clientId: 'b',
            reason: 'update in flight',
            code: 'update_in_flight',
            at,
          },
        },
        { type: 'RolloutCompleted', data: { rolloutId, at } },
      ]);
  });

  it('halts when failures exceed maxFailures; jobs in flight are still followed, no new wave', () => {
    given([started(0), requested('a'), requested('b')])
      .when(finish('a', 'failed'))
      .then([
        finished('a', 'failed'),
        {
          type: 'RolloutHalted',
          data: { rolloutId, reason: '1 failed jobs exceed maxFailures 0', failures: 1, at },
        },
      ]);
    const halted: RolloutEvent = {
      type: 'RolloutHalted',
      data: { rolloutId, reason: 'x', failures: 1, at },
    };
    const history = [started(0), requested('a'), requested('b'), finished('a', 'failed'), halted];
    expect(nextWave(foldRollout(history))).toEqual([]);
    given(history)
      .when(finish('b'))
      .then([finished('b')]);
    expect(foldRollout([...history, finished('b')])!.status).toBe('Halted');
  });

  it('tolerates failures up to maxFailures', () => {
    given([started(1), requested('a'), requested('b')])
      .when(finish('a', 'rolled_back'))
      .then([finished('a', 'rolled_back')]);
  });

  it('cancels a running rollout: no new wave, jobs in flight still recorded; 409 once final', () => {
    const cancelled: RolloutEvent = { type: 'RolloutCancelled', data: { rolloutId, at } };
    given([started(), requested('a')])
      .when({ type: 'CancelRollout', data: { at } })
      .then([cancelled]);
    const history = [started(), requested('a'), cancelled];
    expect(nextWave(foldRollout(history))).toEqual([]);
    given(history)
      .when(finish('a'))
      .then([finished('a')]);
    // A job the driver opened while the cancel came in is still recorded and followed.
    given(history)
      .when({ type: 'RecordJobRequested', data: { clientId: 'b', jobId: 'job-b', at } })
      .then([requested('b')]);
    given(history)
      .when({ type: 'CancelRollout', data: { at } })
      .thenThrows('rollout_final', { status: 'Cancelled' });
  });

  it('ignores duplicates: a second request, skip or end for a client, and strangers', () => {
    const history = [started(), requested('a'), finished('a')];
    given(history)
      .when({ type: 'RecordJobRequested', data: { clientId: 'a', jobId: 'job-other', at } })
      .thenNothingHappens();
    given(history)
      .when({ type: 'RecordClientSkipped', data: { clientId: 'a', reason: 'r', code: 'c', at } })
      .thenNothingHappens();
    given(history).when(finish('a')).thenNothingHappens();
    given([started(), requested('a')])
      .when({ ...finish('a'), data: { ...finish('a').data, jobId: 'job-other' } })
      .thenNothingHappens();
    given(history)
      .when({ type: 'RecordJobRequested', data: { clientId: 'zz', jobId: 'job-zz', at } })
      .thenNothingHappens();
  });

  it('adopts a job that ended before its request was recorded', () => {
    given([started()])
      .when(finish('c'))
      .then([requested('c'), finished('c')]);
  });

  it('decides a whole wave in a row, each on the state of the previous', () => {
    const { events, state } = decideRolloutAll(
      [
        { type: 'RecordJobRequested', data: { clientId: 'a', jobId: 'job-a', at } },
        { type: 'RecordJobRequested', data: { clientId: 'a', jobId: 'job-a', at } },
        { type: 'RecordJobRequested', data: { clientId: 'b', jobId: 'job-b', at } },
      ],
      foldRollout([started()]),
    );
    expect(events).toEqual([requested('a'), requested('b')]);
    expect(progressOf(state!)).toMatchObject({ pending: 3, inFlight: 2, percentDone: 0 });
  });
});
