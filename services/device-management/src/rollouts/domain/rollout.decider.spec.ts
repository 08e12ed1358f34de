import { deciderSpecification } from '../../shared/testing/decider-specification';
import {
  decideRollout,
  decideRolloutAll,
  evolveRollout,
  foldRollout,
  initialRolloutState,
  nextWave,
  progressOf,
  wakeAtOf,
  type FailedJobRelease,
} from './rollout.decider';
import { resolvePhases, type RolloutPhase } from './rollout-phases';
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
      retrying: 0,
      succeeded: 3,
      failed: 1,
      cancelled: 0,
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

  it("counts an admin's cancel of a job as no failure", () => {
    given([started(0), requested('a'), requested('b')])
      .when(finish('a', 'cancelled'))
      .then([finished('a', 'cancelled')]);
  });
});

describe('rollout phases', () => {
  const phase = (size: number, more: Partial<RolloutPhase> = {}): RolloutPhase => ({
    size,
    batchSize: 1,
    soakSeconds: 0,
    requiresApproval: false,
    ...more,
  });
  const phased = (phases: RolloutPhase[], more: Partial<RolloutStarted['data']> = {}) => {
    const base = started(100, ['a', 'b', 'c', 'd', 'e']);
    return { ...base, data: { ...base.data, phases, ...more } } as RolloutStarted;
  };
  const event = <T extends RolloutEvent['type']>(
    type: T,
    data: Omit<Extract<RolloutEvent, { type: T }>['data'], 'rolloutId' | 'at'>,
  ) => ({ type, data: { rolloutId, ...data, at } }) as RolloutEvent;

  it('sizes phases by count or percentage of the targets, the last taking the rest', () => {
    const sizes = (requested: Parameters<typeof resolvePhases>[0], total: number) =>
      resolvePhases(requested, total, 10).map((p) => p.size);
    const base = { soakSeconds: 0, requiresApproval: false };
    // A 1% canary of 50 clients is 1 client, 10% of 50 is 5, the rest 44.
    expect(
      sizes(
        [
          { ...base, size: { percent: 1 } },
          { ...base, size: { percent: 10 } },
          { ...base, size: { percent: 10 } },
        ],
        50,
      ),
    ).toEqual([1, 5, 44]);
    expect(sizes([{ ...base, size: { count: 3 } }, { ...base }], 2)).toEqual([2]);
    expect(resolvePhases([{ ...base, size: { count: 1 } }, base], 4, 7)[1]).toMatchObject({
      size: 3,
      batchSize: 7,
    });
  });

  it('requests jobs of the current phase only, with its own batch size', () => {
    const state = foldRollout([phased([phase(1), phase(4, { batchSize: 3 })])]);
    expect(nextWave(state)).toEqual(['a']);
    const second = foldRollout([
      phased([phase(1), phase(4, { batchSize: 3 })]),
      requested('a'),
      finished('a'),
      event('RolloutPhaseCompleted', { phase: 0 }),
      event('RolloutPhaseStarted', { phase: 1 }),
    ]);
    expect(nextWave(second)).toEqual(['b', 'c', 'd']);
  });

  it('moves to the next phase when the last target of a phase settles', () => {
    given([phased([phase(1), phase(4)]), requested('a')])
      .when(finish('a'))
      .then([
        finished('a'),
        event('RolloutPhaseCompleted', { phase: 0 }),
        event('RolloutPhaseStarted', { phase: 1 }),
      ]);
  });

  it('halts the canary on its failure rate: the later phases are never touched', () => {
    const canary = phase(2, { batchSize: 2, maxFailureRate: { percent: 40, minFinished: 2 } });
    const history = [phased([canary, phase(3)]), requested('a'), requested('b'), finished('a')];
    given(history)
      .when(finish('b', 'rolled_back'))
      .then([
        finished('b', 'rolled_back'),
        event('RolloutHalted', {
          reason: '1 of 2 finished jobs in phase 1 failed (50%), over maxFailureRate 40%',
          failures: 1,
        }),
      ]);
    const halted = foldRollout([...history, finished('b', 'rolled_back')]);
    expect(decideRollout(finish('b', 'rolled_back'), halted)).toEqual([]);
    const state = foldRollout([
      ...history,
      finished('b', 'rolled_back'),
      event('RolloutHalted', { reason: 'x', failures: 1 }),
    ])!;
    expect(state.status).toBe('Halted');
    expect(nextWave(state)).toEqual([]);
  });

  it('waits for minFinished before judging a rate, and halts on the rollout-wide rate too', () => {
    const history = [
      phased([phase(5, { batchSize: 5 })], { maxFailureRate: { percent: 50, minFinished: 3 } }),
    ];
    const wave = ['a', 'b', 'c'].map(requested);
    given([...history, ...wave, finished('a', 'failed')])
      .when(finish('b', 'failed'))
      .then([finished('b', 'failed')]);
    given([...history, ...wave, finished('a', 'failed'), finished('b', 'failed')])
      .when(finish('c'))
      .then([
        finished('c'),
        event('RolloutHalted', {
          reason: '2 of 3 finished jobs in the rollout failed (67%), over maxFailureRate 50%',
          failures: 2,
        }),
      ]);
  });

  it('soaks after a phase, then starts the next once the clock passes soakUntil', () => {
    const soakUntil = new Date(Date.parse(at) + 600_000).toISOString();
    given([phased([phase(1, { soakSeconds: 600 }), phase(4)]), requested('a')])
      .when(finish('a'))
      .then([finished('a'), event('RolloutPhaseCompleted', { phase: 0, soakUntil })]);
    const soaking = [
      phased([phase(1, { soakSeconds: 600 }), phase(4)]),
      requested('a'),
      finished('a'),
      event('RolloutPhaseCompleted', { phase: 0, soakUntil }),
    ];
    expect(foldRollout(soaking)).toMatchObject({ status: 'Soaking', soakUntil });
    expect(nextWave(foldRollout(soaking))).toEqual([]);
    given(soaking).when({ type: 'Tick', data: { at } }).thenNothingHappens();
    given(soaking)
      .when({ type: 'Tick', data: { at: soakUntil } })
      .then([{ type: 'RolloutPhaseStarted', data: { rolloutId, phase: 1, at: soakUntil } }]);
  });

  it('waits for an admin before a phase that requires approval, and records who approved', () => {
    const gated = phased([phase(1), phase(4, { requiresApproval: true })]);
    given([gated, requested('a')])
      .when(finish('a'))
      .then([
        finished('a'),
        event('RolloutPhaseCompleted', { phase: 0 }),
        event('RolloutPhaseAwaitingApproval', { phase: 1 }),
      ]);
    const waiting = [
      gated,
      requested('a'),
      finished('a'),
      event('RolloutPhaseCompleted', { phase: 0 }),
      event('RolloutPhaseAwaitingApproval', { phase: 1 }),
    ];
    expect(foldRollout(waiting)!.status).toBe('AwaitingApproval');
    expect(nextWave(foldRollout(waiting))).toEqual([]);
    given(waiting)
      .when({ type: 'ApprovePhase', data: { at, approvedBy: 'alice' } })
      .then([
        event('RolloutPhaseApproved', { phase: 1, approvedBy: 'alice' }),
        event('RolloutPhaseStarted', { phase: 1 }),
      ]);
    given([gated, requested('a')])
      .when({ type: 'ApprovePhase', data: { at, approvedBy: 'alice' } })
      .thenThrows('rollout_not_awaiting_approval', { status: 'Running' });
  });

  it('asks for approval before the first job when the first phase requires it', () => {
    const gated = phased([phase(5, { requiresApproval: true })]);
    given([])
      .when({ type: 'StartRollout', data: gated.data })
      .then([gated, event('RolloutPhaseAwaitingApproval', { phase: 0 })]);
  });
});

describe('pause, resume and cancel', () => {
  const paused: RolloutEvent = { type: 'RolloutPaused', data: { rolloutId, at, reason: 'shift' } };
  const resumed: RolloutEvent = { type: 'RolloutResumed', data: { rolloutId, at } };

  it('pauses new waves while jobs in flight run on, and resumes where it was', () => {
    given([started(), requested('a')])
      .when({ type: 'PauseRollout', data: { at, reason: 'shift' } })
      .then([paused]);
    const history = [started(), requested('a'), paused];
    expect(nextWave(foldRollout(history))).toEqual([]);
    given(history)
      .when(finish('a'))
      .then([finished('a')]);
    given(history)
      .when({ type: 'PauseRollout', data: { at } })
      .thenThrows('rollout_not_running', { status: 'Paused' });
    given(history).when({ type: 'ResumeRollout', data: { at } }).then([resumed]);
    expect(nextWave(foldRollout([...history, resumed]))).toEqual(['b']);
    given([started()])
      .when({ type: 'ResumeRollout', data: { at } })
      .thenThrows('rollout_not_paused', { status: 'Running' });
  });

  it('completes on resume when the last job ended while paused', () => {
    const history = [started(0, ['a']), requested('a'), paused, finished('a')];
    given(history)
      .when({ type: 'ResumeRollout', data: { at } })
      .then([resumed, { type: 'RolloutCompleted', data: { rolloutId, at } }]);
  });

  it('resumes a halted rollout with its failures so far forgiven', () => {
    const halted: RolloutEvent = {
      type: 'RolloutHalted',
      data: { rolloutId, reason: 'x', failures: 1, at },
    };
    const history = [started(0), requested('a'), finished('a', 'failed'), halted];
    given(history).when({ type: 'ResumeRollout', data: { at } }).then([resumed]);
    const again = foldRollout([...history, resumed]);
    expect(again!.status).toBe('Running');
    expect(nextWave(again)).toEqual(['b', 'c']);
    // The next failure is the first that counts: maxFailures 0 halts again.
    given([...history, resumed, requested('b')])
      .when(finish('b', 'failed'))
      .then([
        finished('b', 'failed'),
        {
          type: 'RolloutHalted',
          data: { rolloutId, reason: '1 failed jobs exceed maxFailures 0', failures: 1, at },
        },
      ]);
    // A halted rollout may also be cancelled.
    given(history)
      .when({ type: 'CancelRollout', data: { at, reason: 'bad image' } })
      .then([{ type: 'RolloutCancelled', data: { rolloutId, at, reason: 'bad image' } }]);
  });
});

describe('retries of passing failures', () => {
  const withRetries = (max: number): RolloutStarted => {
    const base = started(0, ['a', 'b']);
    return { ...base, data: { ...base.data, retries: { max, backoffSeconds: 60 } } };
  };
  const unreachable = (clientId: string, jobId = `job-${clientId}`) => ({
    type: 'RecordJobFinished' as const,
    data: { clientId, jobId, outcome: 'failed' as const, code: 'registry_unreachable', at },
  });
  const failedEvent = (clientId: string, jobId = `job-${clientId}`): RolloutEvent => ({
    type: 'RolloutJobFinished',
    data: { rolloutId, clientId, jobId, outcome: 'failed', code: 'registry_unreachable', at },
  });
  const retryScheduled = (clientId: string, attempt: number, seconds: number): RolloutEvent => ({
    type: 'RolloutJobRetryScheduled',
    data: {
      rolloutId,
      clientId,
      attempt,
      retryAt: new Date(Date.parse(at) + seconds * 1000).toISOString(),
      at,
    },
  });
  const later = (seconds: number) => new Date(Date.parse(at) + seconds * 1000).toISOString();

  it('retries a job whose registry was unreachable instead of counting a failure', () => {
    given([withRetries(2), requested('a')])
      .when(unreachable('a'))
      .then([failedEvent('a'), retryScheduled('a', 2, 60)]);
    const retrying = foldRollout([
      withRetries(2),
      requested('a'),
      failedEvent('a'),
      retryScheduled('a', 2, 60),
    ]);
    expect(progressOf(retrying!)).toMatchObject({ retrying: 1, failed: 0, inFlight: 0 });
    expect(retrying!.status).toBe('Running');
    // Not before its time; then first in the wave.
    expect(nextWave(retrying, later(59))).toEqual(['b']);
    expect(nextWave(retrying, later(60))).toEqual(['a', 'b']);
  });

  it('records the retry job, backs off twice as long, and counts the failure when none are left', () => {
    const history = [withRetries(1), requested('a'), failedEvent('a'), retryScheduled('a', 2, 60)];
    given(history)
      .when({ type: 'RecordJobRequested', data: { clientId: 'a', jobId: 'job-a2', at } })
      .then([
        { type: 'RolloutJobRequested', data: { rolloutId, clientId: 'a', jobId: 'job-a2', at } },
      ]);
    const second = [
      ...history,
      {
        type: 'RolloutJobRequested',
        data: { rolloutId, clientId: 'a', jobId: 'job-a2', at },
      } as RolloutEvent,
    ];
    expect(foldRollout(second)!.clients.get('a')).toMatchObject({ jobId: 'job-a2', attempt: 2 });
    given(second)
      .when(unreachable('a', 'job-a2'))
      .then([
        failedEvent('a', 'job-a2'),
        {
          type: 'RolloutHalted',
          data: { rolloutId, reason: '1 failed jobs exceed maxFailures 0', failures: 1, at },
        },
      ]);
    const three = { ...withRetries(3) };
    expect(
      decideRollout(unreachable('a', 'job-a2'), foldRollout([three, ...second.slice(1)])),
    ).toEqual([failedEvent('a', 'job-a2'), retryScheduled('a', 3, 120)]);
  });

  it('retries a timed-out job but never one the device refused', () => {
    given([withRetries(2), requested('a')])
      .when(finish('a', 'timed_out'))
      .then([finished('a', 'timed_out'), retryScheduled('a', 2, 60)]);
    given([withRetries(2), requested('a')])
      .when(finish('a', 'rolled_back'))
      .then([
        finished('a', 'rolled_back'),
        {
          type: 'RolloutHalted',
          data: { rolloutId, reason: '1 failed jobs exceed maxFailures 0', failures: 1, at },
        },
      ]);
  });

  it('skips a client whose retry is refused', () => {
    const history = [withRetries(2), requested('a'), failedEvent('a'), retryScheduled('a', 2, 60)];
    given(history)
      .when({
        type: 'RecordClientSkipped',
        data: { clientId: 'a', reason: 'update in flight', code: 'update_in_flight', at },
      })
      .then([
        {
          type: 'RolloutClientSkipped',
          data: {
            rolloutId,
            clientId: 'a',
            reason: 'update in flight',
            code: 'update_in_flight',
            at,
          },
        },
      ]);
  });
});

describe('maintenance windows', () => {
  // 2026-11-30 is a Monday; the window: Tuesdays 22:00-23:00 in Berlin (21:00-22:00 UTC).
  const windowed: RolloutStarted = {
    ...started(),
    data: {
      ...started().data,
      window: { timeZone: 'Europe/Berlin', days: ['tue'], start: '22:00', end: '23:00' },
    },
  };

  it('starts jobs only inside the window, and wakes at its next opening', () => {
    const state = foldRollout([windowed]);
    expect(nextWave(state, '2026-11-30T10:00:00.000Z')).toEqual([]);
    expect(nextWave(state, '2026-12-01T21:30:00.000Z')).toEqual(['a', 'b']);
    expect(wakeAtOf(state!)).toBe('2026-12-01T21:00:00.000Z');
  });

  it('keeps following the jobs in flight after the window closes', () => {
    given([windowed, requested('a')])
      .when(finish('a'))
      .then([finished('a')]);
    expect(
      nextWave(foldRollout([windowed, requested('a'), finished('a')]), '2026-12-01T22:30:00.000Z'),
    ).toEqual([]);
  });
});

describe('maintenance windows in the time zone of each client', () => {
  // Every day 02:00-04:00 local time; a client's `tz` label names its zone ("." for "/").
  // On 2026-12-01 that is 01:00-03:00 UTC in Berlin (UTC+1) and 10:00-12:00 UTC in Los
  // Angeles (UTC-8), nine hours later. The rollout starts on 2026-11-30 at 14:00 UTC, when
  // both are closed.
  const startedAt = '2026-11-30T14:00:00.000Z';
  const inBerlinHours = '2026-12-01T01:30:00.000Z';
  const inLosAngelesHours = '2026-12-01T10:30:00.000Z';
  const byClientZone: RolloutStarted = {
    type: 'RolloutStarted',
    data: {
      ...started(0, ['los-angeles', 'berlin', 'unlabelled', 'on-mars']).data,
      batchSize: 4,
      window: {
        timeZone: 'Europe/Berlin',
        timeZoneLabel: 'tz',
        days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
        start: '02:00',
        end: '04:00',
      },
      targetTimeZones: {
        'los-angeles': 'America.Los_Angeles',
        berlin: 'Europe.Berlin',
        // No such zone: the rollout's own applies.
        'on-mars': 'Mars.Olympus_Mons',
      },
      startedAt,
    },
  };
  const requestedAt = (clientId: string, when: string): RolloutEvent => ({
    type: 'RolloutJobRequested',
    data: { rolloutId, clientId, jobId: `job-${clientId}`, at: when },
  });

  it('gives each target its job inside the hours of its own zone', () => {
    const state = foldRollout([byClientZone])!;
    expect(nextWave(state, startedAt)).toEqual([]);
    // Berlin's night: the Berlin client, and those without a (known) zone, which follow the
    // rollout's Europe/Berlin. Not Los Angeles, where it is 17:30 the day before.
    expect(nextWave(state, inBerlinHours)).toEqual(['berlin', 'unlabelled', 'on-mars']);
    // Nine hours later: Los Angeles only.
    expect(nextWave(state, inLosAngelesHours)).toEqual(['los-angeles']);
  });

  it('wakes at the next opening in a zone that has pending targets', () => {
    const started = foldRollout([byClientZone])!;
    expect(wakeAtOf(started)).toBe('2026-12-01T01:00:00.000Z');
    // Berlin's targets got their jobs: the next opening that matters is Los Angeles'.
    const berlinDone = foldRollout([
      byClientZone,
      ...['berlin', 'unlabelled', 'on-mars'].map((id) => requestedAt(id, inBerlinHours)),
    ])!;
    expect(wakeAtOf(berlinDone)).toBe('2026-12-01T10:00:00.000Z');
    expect(nextWave(berlinDone, inLosAngelesHours)).toEqual(['los-angeles']);
  });

  it('ignores the labels when the window names no label', () => {
    const { timeZoneLabel: _, ...window } = byClientZone.data.window!;
    const state = foldRollout([{ ...byClientZone, data: { ...byClientZone.data, window } }])!;
    expect(nextWave(state, inBerlinHours)).toEqual([
      'los-angeles',
      'berlin',
      'unlabelled',
      'on-mars',
    ]);
    expect(nextWave(state, inLosAngelesHours)).toEqual([]);
  });

  it('reads the zone of a target added while it follows its labels from its labels', () => {
    const following: RolloutStarted = {
      ...byClientZone,
      data: {
        ...byClientZone.data,
        targets: ['berlin'],
        targetTimeZones: { berlin: 'Europe.Berlin' },
        selector: { labels: { line: 'A' } },
        followUntil: '2026-12-31T00:00:00.000Z',
      },
    };
    const addedInLosAngeles: RolloutEvent = {
      type: 'RolloutTargetAdded',
      data: { rolloutId, clientId: 'new', at: startedAt, timeZone: 'America.Los_Angeles' },
    };
    given([following])
      .when({
        type: 'AddTarget',
        data: { clientId: 'new', at: startedAt, labels: { line: 'A', tz: 'America.Los_Angeles' } },
      })
      .then([addedInLosAngeles]);
    const state = foldRollout([following, addedInLosAngeles])!;
    expect(nextWave(state, inBerlinHours)).toEqual(['berlin']);
    expect(nextWave(state, inLosAngelesHours)).toEqual(['new']);
    // Without the label, it follows the rollout's zone.
    given([following])
      .when({ type: 'AddTarget', data: { clientId: 'new', at: startedAt, labels: { line: 'A' } } })
      .then([{ type: 'RolloutTargetAdded', data: { rolloutId, clientId: 'new', at: startedAt } }]);
  });

  it('waits with a retry due outside its zone’s hours until they open', () => {
    const withRetries: RolloutStarted = {
      ...byClientZone,
      data: { ...byClientZone.data, retries: { max: 1, backoffSeconds: 60 } },
    };
    const state = foldRollout([
      withRetries,
      requestedAt('los-angeles', inLosAngelesHours),
      ...['berlin', 'unlabelled', 'on-mars'].map((id) => requestedAt(id, inBerlinHours)),
      {
        type: 'RolloutJobFinished',
        data: {
          rolloutId,
          clientId: 'los-angeles',
          jobId: 'job-los-angeles',
          outcome: 'failed',
          code: 'registry_unreachable',
          at: '2026-12-01T11:59:30.000Z',
        },
      },
      {
        type: 'RolloutJobRetryScheduled',
        data: {
          rolloutId,
          clientId: 'los-angeles',
          attempt: 2,
          retryAt: '2026-12-01T12:00:30.000Z',
          at: '2026-12-01T11:59:30.000Z',
        },
      },
    ])!;
    // Due at 04:00:30 in Los Angeles, just after its hours: the next night's opening.
    expect(nextWave(state, '2026-12-01T12:00:30.000Z')).toEqual([]);
    expect(wakeAtOf(state)).toBe('2026-12-02T10:00:00.000Z');
    expect(nextWave(state, '2026-12-02T10:00:00.000Z')).toEqual(['los-angeles']);
  });
});

describe('following labels until a deadline', () => {
  const until = '2026-11-30T12:00:00.000Z';
  const following: RolloutStarted = {
    ...started(0, ['a']),
    data: { ...started(0, ['a']).data, selector: { labels: { line: 'A' } }, followUntil: until },
  };
  const added: RolloutEvent = {
    type: 'RolloutTargetAdded',
    data: { rolloutId, clientId: 'n', at },
  };

  it('takes a client registered with its labels as a target, in its last phase', () => {
    given([following])
      .when({ type: 'AddTarget', data: { clientId: 'n', at } })
      .then([added]);
    const state = foldRollout([following, added])!;
    expect(state.request.targets).toEqual(['a', 'n']);
    expect(nextWave(state)).toEqual(['a', 'n']);
    given([following, added])
      .when({ type: 'AddTarget', data: { clientId: 'n', at } })
      .thenNothingHappens();
    given([following])
      .when({ type: 'AddTarget', data: { clientId: 'late', at: until } })
      .thenNothingHappens();
  });

  it('stays open while it follows, and completes once the deadline passed', () => {
    given([following, requested('a')])
      .when(finish('a'))
      .then([finished('a')]);
    const settled = [following, requested('a'), finished('a')];
    expect(foldRollout(settled)!.status).toBe('Running');
    expect(wakeAtOf(foldRollout(settled)!)).toBe(until);
    given(settled).when({ type: 'Tick', data: { at } }).thenNothingHappens();
    given(settled)
      .when({ type: 'Tick', data: { at: until } })
      .then([{ type: 'RolloutCompleted', data: { rolloutId, at: until } }]);
  });
});

describe('the counts kept with every event', () => {
  /** The progress recounted from every target's entry, as it was before counts were kept. */
  const recount = (state: NonNullable<ReturnType<typeof foldRollout>>, phase: number) => {
    const start = state.phases.slice(0, phase).reduce((sum, p) => sum + p.size, 0);
    const targets = state.request.targets.slice(start, start + state.phases[phase].size);
    const tally: Record<string, number> = {};
    for (const clientId of targets) {
      const entry = state.clients.get(clientId);
      const word = !entry
        ? 'pending'
        : entry.skipped
          ? 'skipped'
          : entry.retryAt
            ? 'retrying'
            : (entry.outcome ?? 'inFlight');
      const key = ['rolled_back', 'timed_out'].includes(word) ? 'failed' : word;
      tally[key] = (tally[key] ?? 0) + 1;
    }
    return tally;
  };

  it('agree with a recount of the entries after 300 random facts in three phases', () => {
    const targets = Array.from({ length: 60 }, (_, i) => `c${i}`);
    const phases = resolvePhases(
      [
        { size: { percent: 10 }, soakSeconds: 0, requiresApproval: false },
        { size: { count: 20 }, soakSeconds: 0, requiresApproval: false },
        { soakSeconds: 0, requiresApproval: false },
      ],
      targets.length,
      8,
    );
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return Math.floor(seed / 65536) % n;
    };
    const start = started(1_000, targets);
    const outcomes: RolloutJobOutcome[] = ['succeeded', 'failed', 'timed_out', 'cancelled'];
    let state = foldRollout([
      { ...start, data: { ...start.data, phases, retries: { max: 1, backoffSeconds: 1 } } },
    ]);
    for (let step = 0; step < 300; step++) {
      const clientId = targets[random(targets.length)];
      const jobId = `job-${clientId}-${random(2)}`;
      const commands = [
        { type: 'RecordJobRequested' as const, data: { clientId, jobId, at } },
        {
          type: 'RecordJobFinished' as const,
          data: { clientId, jobId, outcome: outcomes[random(4)], at },
        },
        {
          type: 'RecordJobFinished' as const,
          data: { clientId, jobId, outcome: 'timed_out' as const, at },
        },
        {
          type: 'RecordClientSkipped' as const,
          data: { clientId, reason: 'busy', code: 'busy', at },
        },
        { type: 'ResumeRollout' as const, data: { at } },
      ];
      try {
        state = decideRolloutAll([commands[random(commands.length)]], state).state;
      } catch {
        // A refused command (resume while running) changes nothing.
      }
    }
    const rollout = state!;
    expect(rollout.clients.size).toBeGreaterThan(30);
    rollout.phases.forEach((_, phase) => {
      const { total, percentDone: _percentDone, ...kept } = progressOf(rollout, phase);
      const recounted = recount(rollout, phase);
      expect(total).toBe(rollout.phases[phase].size);
      expect(Object.fromEntries(Object.entries(kept).filter(([, n]) => n > 0))).toEqual(recounted);
    });
  });
});

describe('rolling the failed clients back', () => {
  const halted: RolloutEvent = {
    type: 'RolloutHalted',
    data: { rolloutId, reason: 'too many failures', failures: 3, at },
  };
  // a succeeded; b rolled back by its agent (it said 2.0.0 again); c timed out; d failed
  // before the first update recorded an image.
  const history = [
    started(5, ['a', 'b', 'c', 'd', 'e']),
    requested('a'),
    requested('b'),
    finished('a'),
    finished('b', 'rolled_back'),
    requested('c'),
    requested('d'),
    finished('c', 'timed_out'),
    finished('d', 'failed'),
    halted,
  ];
  const release = { fromVersion: '2.0.0', fromImage: 'registry.example.com/opc-core:2.0.0' };
  const releases = new Map<string, FailedJobRelease>([
    ['a', release],
    ['b', { ...release, reportedVersion: '2.0.0' }],
    ['c', release],
    ['d', { fromVersion: '1.0.0' }],
  ]);
  const rollBack = {
    type: 'RollBackRollout' as const,
    data: { at, reason: 'bad build', releases },
  };
  const rollbackStarted: RolloutEvent = {
    type: 'RolloutRollbackStarted',
    data: {
      rolloutId,
      targets: [{ clientId: 'c', version: '2.0.0', image: 'registry.example.com/opc-core:2.0.0' }],
      left: [
        {
          clientId: 'b',
          code: 'already_on_previous_release',
          reason: 'client b reported 2.0.0 again when job job-b ended',
        },
        {
          clientId: 'd',
          code: 'previous_release_unknown',
          reason:
            'the image client d ran before job job-d is not known (no earlier update recorded it)',
        },
      ],
      at,
      reason: 'bad build',
    },
  };
  const rollbackRequested: RolloutEvent = {
    type: 'RolloutRollbackJobRequested',
    data: { rolloutId, clientId: 'c', jobId: 'back-c', at },
  };

  it('gives a job to each failed client not known to be back on its earlier release', () => {
    given(history).when(rollBack).then([rollbackStarted]);
    const rollingBack = foldRollout([...history, rollbackStarted])!;
    expect(rollingBack.status).toBe('RollingBack');
    // Only the roll-back's clients, never the pending target e.
    expect(nextWave(rollingBack)).toEqual(['c']);
  });

  it('records the roll-back job and its end, then ends the rollout as RolledBack', () => {
    given([...history, rollbackStarted])
      .when({ type: 'RecordJobRequested', data: { clientId: 'c', jobId: 'back-c', at } })
      .then([rollbackRequested]);
    const rolledBack: RolloutEvent = {
      type: 'RolloutRolledBack',
      data: { rolloutId, succeeded: 1, failed: 0, skipped: 0, at },
    };
    given([...history, rollbackStarted, rollbackRequested])
      .when({
        type: 'RecordJobFinished',
        data: { clientId: 'c', jobId: 'back-c', outcome: 'succeeded', at },
      })
      .then([
        {
          type: 'RolloutRollbackJobFinished',
          data: { rolloutId, clientId: 'c', jobId: 'back-c', outcome: 'succeeded', at },
        },
        rolledBack,
      ]);
    // The failed job's end, told again, is not the roll-back's.
    given([...history, rollbackStarted, rollbackRequested])
      .when(finish('c', 'timed_out'))
      .thenNothingHappens();
  });

  it('adopts a roll-back job that ended before its request was recorded, and ends on a refusal', () => {
    given([...history, rollbackStarted])
      .when({
        type: 'RecordJobFinished',
        data: { clientId: 'c', jobId: 'back-c', outcome: 'failed', code: 'pull_failed', at },
      })
      .then([
        rollbackRequested,
        {
          type: 'RolloutRollbackJobFinished',
          data: {
            rolloutId,
            clientId: 'c',
            jobId: 'back-c',
            outcome: 'failed',
            code: 'pull_failed',
            at,
          },
        },
        {
          type: 'RolloutRolledBack',
          data: { rolloutId, succeeded: 0, failed: 1, skipped: 0, at },
        },
      ]);
    const refusal = {
      reason: 'client c already has update job x in flight',
      code: 'update_in_flight',
    };
    given([...history, rollbackStarted])
      .when({ type: 'RecordClientSkipped', data: { clientId: 'c', ...refusal, at } })
      .then([
        { type: 'RolloutRollbackSkipped', data: { rolloutId, clientId: 'c', ...refusal, at } },
        {
          type: 'RolloutRolledBack',
          data: { rolloutId, succeeded: 0, failed: 0, skipped: 1, at },
        },
      ]);
  });

  it('ends at once when no failed client needs a job', () => {
    const onlyLeft = new Map<string, FailedJobRelease>([
      ['b', { ...release, reportedVersion: '2.0.0' }],
    ]);
    const history2 = [
      started(0, ['a', 'b']),
      requested('b'),
      finished('b', 'rolled_back'),
      { ...halted, data: { ...halted.data, failures: 1 } } as RolloutEvent,
    ];
    const decided = decideRollout(
      { type: 'RollBackRollout', data: { at, releases: onlyLeft } },
      foldRollout(history2),
    );
    expect(decided.map((event) => event.type)).toEqual([
      'RolloutRollbackStarted',
      'RolloutRolledBack',
    ]);
    expect(foldRollout([...history2, ...decided])!.status).toBe('RolledBack');
  });

  it('refuses while running, with jobs in flight, without failures, for a config rollout', () => {
    given([started(5), requested('a')])
      .when(rollBack)
      .thenThrows('rollout_not_paused', { status: 'Running' });
    const paused: RolloutEvent = { type: 'RolloutPaused', data: { rolloutId, at } };
    given([started(5), requested('a'), finished('a', 'failed'), requested('b'), paused])
      .when(rollBack)
      .thenThrows('rollout_cannot_roll_back', { status: 'Paused' });
    given([started(5), requested('a'), finished('a'), paused])
      .when(rollBack)
      .thenThrows('rollout_cannot_roll_back');
    const config: RolloutEvent = {
      type: 'RolloutStarted',
      data: {
        ...started(5).data,
        image: undefined,
        targetVersion: undefined,
        config: { version: 3, settings: {} },
      },
    };
    given([config, requested('a'), finished('a', 'failed'), paused])
      .when(rollBack)
      .thenThrows('rollout_cannot_roll_back');
    given([...history, rollbackStarted])
      .when(rollBack)
      .thenThrows('rollout_not_paused', { status: 'RollingBack' });
  });
});
