import { initialTransition, transition } from 'xstate';
import { DEFAULT_DEADLINES, DEFAULT_RETRY } from './update-job-defaults';
import { isFinished, updateMachine, type UpdateJobEvent } from './update-machine';

const T0 = '2026-01-01T00:00:00.000Z';
const at = (seconds: number) => new Date(Date.parse(T0) + seconds * 1000).toISOString();

/** Given a state reached by `events`, when `event` arrives, then the machine is in a state. */
function given(...events: UpdateJobEvent[]) {
  let [snapshot] = initialTransition(updateMachine, {
    jobId: '00000000-0000-4000-8000-000000000001',
    correlationId: 'c',
    targetVersion: '2.0.0',
    image: 'r/x:2',
    containerName: 'opc',
    deadlines: DEFAULT_DEADLINES,
    retry: { ...DEFAULT_RETRY, maxPullAttempts: 2 },
    probationMs: 300_000,
    at: T0,
  });
  for (const e of events) [snapshot] = transition(updateMachine, snapshot, e);
  return {
    when: (event: UpdateJobEvent) => transition(updateMachine, snapshot, event)[0],
    snapshot,
  };
}

const prepared: UpdateJobEvent = {
  type: 'PREPARED',
  at: at(1),
  oldContainerId: 'old',
  oldImageId: 'i1',
  oldImageRef: 'r/x:1',
};
const pullFailed = (s: number, retryable = true): UpdateJobEvent => ({
  type: 'PULL_FAILED',
  at: at(s),
  retryable,
  error: { code: 'registry_unreachable', message: 'dial tcp' },
});

describe('update statechart', () => {
  it('names the old container aside per job and sets the first deadline from the command time', () => {
    const { snapshot } = given();
    expect(snapshot.value).toBe('received');
    expect(snapshot.context.backupName).toBe('opc-previous-00000000');
    expect(snapshot.context.deadlineAt).toBe(at(DEFAULT_DEADLINES.received / 1000));
  });

  it('retries a retryable pull failure with back-off until the attempts run out', () => {
    const retried = given(prepared).when(pullFailed(2));
    expect(retried.value).toBe('pulling');
    expect(retried.context.attempts).toBe(1);
    expect(retried.context.notBefore).toBe(at(3));
    expect(given(prepared, pullFailed(2)).when(pullFailed(5)).value).toBe('failed');
    expect(given(prepared).when(pullFailed(2, false)).value).toBe('failed');
  });

  it('fails (nothing changed) on a timeout before the old container stops, rolls back after', () => {
    expect(
      given(prepared).when({ type: 'TIMEOUT', at: at(9), state: 'pulling' }).context.error?.code,
    ).toBe('timeout');
    expect(given(prepared).when({ type: 'TIMEOUT', at: at(9), state: 'pulling' }).value).toBe(
      'failed',
    );
    const stopping = given(
      prepared,
      { type: 'PULLED', at: at(2), imageId: 'i2' },
      { type: 'PROCEED', at: at(3) },
    );
    expect(stopping.snapshot.value).toBe('stopping_old');
    expect(stopping.when({ type: 'TIMEOUT', at: at(200), state: 'stopping_old' }).value).toBe(
      'rolling_back',
    );
  });

  it('gives up a rollback only after its attempts, keeping the first failure in the reason', () => {
    const failing: UpdateJobEvent = {
      type: 'STEP_FAILED',
      at: at(5),
      error: { code: 'unhealthy', message: 'probe 404' },
    };
    const rollbackFailed: UpdateJobEvent = {
      type: 'STEP_FAILED',
      at: at(6),
      error: { code: 'engine_error', message: 'boom' },
    };
    const path = [
      prepared,
      { type: 'PULLED', at: at(2), imageId: 'i2' },
      { type: 'PROCEED', at: at(3) },
      { type: 'OLD_STOPPED', at: at(4), newContainerId: 'new' },
      { type: 'NEW_STARTED', at: at(4) },
      failing,
    ] as UpdateJobEvent[];
    let state = given(...path).snapshot;
    expect(state.value).toBe('rolling_back');
    for (let i = 1; i < DEFAULT_RETRY.maxRollbackAttempts; i++) {
      [state] = transition(updateMachine, state, rollbackFailed);
      expect(state.value).toBe('rolling_back');
    }
    [state] = transition(updateMachine, state, rollbackFailed);
    expect(state.value).toBe('failed');
    expect(state.context.error?.code).toBe('rollback_failed');
    expect(state.context.error?.message).toContain('probe 404');
  });

  describe('cancel', () => {
    const cancel: UpdateJobEvent = { type: 'CANCEL', at: at(3) };
    const pulled: UpdateJobEvent = { type: 'PULLED', at: at(2), imageId: 'i2' };

    it.each([
      ['received', []],
      ['pulling', [prepared]],
      ['pulled', [prepared, pulled]],
    ] as const)('stops a job in %s: final, nothing to undo', (state, before) => {
      const job = given(...before);
      expect(job.snapshot.value).toBe(state);
      const stopped = job.when(cancel);
      expect(stopped.value).toBe('cancelled');
      expect(isFinished('cancelled', stopped.context)).toBe(true);
      expect(stopped.context.error).toBeUndefined();
      // A final state: nothing moves it any more.
      expect(transition(updateMachine, stopped, pulled)[0].value).toBe('cancelled');
    });

    it('is ignored once the old container is being stopped, and after the end', () => {
      const swapping = given(prepared, pulled, { type: 'PROCEED', at: at(3) });
      expect(swapping.when(cancel).value).toBe('stopping_old');
      expect(given(prepared).when(pullFailed(2, false))).toMatchObject({ value: 'failed' });
      expect(given(prepared, pullFailed(2, false)).when(cancel).value).toBe('failed');
    });
  });

  it('ignores events that do not belong to the current state', () => {
    expect(given().when({ type: 'VERIFIED', at: at(1), restartCount: 0 }).value).toBe('received');
  });

  describe('probation', () => {
    const swapped = [
      prepared,
      { type: 'PULLED', at: at(2), imageId: 'i2' },
      { type: 'PROCEED', at: at(3) },
      { type: 'OLD_STOPPED', at: at(4), newContainerId: 'new' },
      { type: 'NEW_STARTED', at: at(5) },
    ] as UpdateJobEvent[];
    const verified: UpdateJobEvent = { type: 'VERIFIED', at: at(10), restartCount: 2 };

    it('follows a passed health check: ends probationMs later, with the restart count to watch', () => {
      const probation = given(...swapped).when(verified);
      expect(probation.value).toBe('probation');
      expect(probation.context).toMatchObject({
        probationUntil: at(10 + 300),
        newRestartBaseline: 2,
        deadlineAt: at(10 + 300 + DEFAULT_DEADLINES.probation / 1000),
      });
    });

    it('commits when it passes; rolls back when the new version fails or the watch hangs', () => {
      const probation = given(...swapped, verified);
      expect(probation.when({ type: 'PROBATION_PASSED', at: at(311) }).value).toBe('committed');
      const died = probation.when({
        type: 'STEP_FAILED',
        at: at(100),
        error: { code: 'probation_failed', message: 'the new container exited with code 137' },
      });
      expect(died.value).toBe('rolling_back');
      expect(died.context.error?.code).toBe('probation_failed');
      expect(probation.when({ type: 'TIMEOUT', at: at(400), state: 'probation' }).value).toBe(
        'rolling_back',
      );
    });
  });
});
