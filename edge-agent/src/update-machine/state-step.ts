import { setTimeout as sleep } from 'node:timers/promises';
import {
  isEngineUnavailable,
  type ContainerRuntime,
  type RuntimeError,
} from '../container-runtime/container-runtime.port';
import type { JobRecord } from '../snapshot-store/job-record';
import type { EffectEnv } from './effects/effect';
import { STATE_WORK } from './effects/state-effects';
import type { Logger } from './logger';
import { pullProgressReporter, type PhaseSink } from './phase-reports';
import {
  backoff,
  isActiveState,
  type UpdateJobContext,
  type UpdateJobEvent,
} from './update-machine';
import type { WorkloadSettings } from './workload-settings';

export interface StateStepDeps {
  runtime: ContainerRuntime;
  workload: WorkloadSettings;
  logger: Logger;
  now: () => Date;
  onPhase: PhaseSink;
  progressIntervalMs: number;
}

/**
 * Runs the saved state's effect against the state's deadline and returns the machine's next
 * event: the effect's outcome, TIMEOUT when the deadline passes first, or CANCEL when
 * `interruptible` is given and the function it receives is called (the effect is aborted and
 * its outcome dropped). While the container engine is out of reach the effect is run again
 * after a back-off (effects look first, so a second run is harmless) until it answers or the
 * deadline passes: an outage is neither the registry's nor the new version's failure, and the
 * job does not move (no report, no phase going back). Any other throw is logged and becomes the
 * state's failure event.
 */
export async function runStateStep(
  record: JobRecord<UpdateJobContext>,
  deps: StateStepDeps,
  interruptible?: (interrupt: () => void) => void,
): Promise<UpdateJobEvent> {
  const ctx = record.context;
  const log = { jobId: ctx.jobId, correlationId: ctx.correlationId, state: record.state };
  /** The last engine error of an outage still going on. */
  let outage: RuntimeError | null = null;
  const timeoutEvent = (): UpdateJobEvent => ({
    type: 'TIMEOUT',
    at: deps.now().toISOString(),
    state: record.state,
    ...(outage && {
      error: {
        code: 'engine_unavailable',
        message: `the container engine was unavailable until the ${record.state} step's deadline: ${outage.message}`,
      },
    }),
  });
  if (!isActiveState(record.state)) return timeoutEvent();
  const work = STATE_WORK[record.state];
  const remaining = Date.parse(ctx.deadlineAt) - deps.now().getTime();
  if (remaining <= 0) return timeoutEvent();
  const controller = new AbortController();
  const progress = pullProgressReporter(ctx, {
    onPhase: deps.onPhase,
    logger: deps.logger,
    now: deps.now,
    intervalMs: deps.progressIntervalMs,
  });
  const env: EffectEnv = {
    runtime: deps.runtime,
    workload: deps.workload,
    logger: deps.logger,
    now: deps.now,
    signal: controller.signal,
    onPullProgress: progress.report,
  };
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<UpdateJobEvent>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve(timeoutEvent());
    }, remaining);
  });
  const cancelled = new Promise<UpdateJobEvent>((resolve) => {
    interruptible?.(() => {
      resolve({ type: 'CANCEL', at: deps.now().toISOString() });
      controller.abort();
    });
  });
  const runEffect = async (): Promise<UpdateJobEvent> => {
    for (let waits = 1; ; waits++) {
      try {
        const event = await work.effect(ctx, env);
        if (outage) deps.logger.info(log, 'container engine is back: the step went on');
        outage = null;
        return event;
      } catch (error) {
        if (controller.signal.aborted) return timeoutEvent();
        if (!isEngineUnavailable(error)) {
          // Effects return their expected failures as events; anything thrown is a bug or an engine fault.
          deps.logger.error({ ...log, err: error }, 'update step threw');
          const message = (error as Error)?.message ?? String(error);
          return work.onThrow({ code: 'internal_error', message }, deps.now().toISOString());
        }
        if (!outage) {
          deps.logger.warn(
            { ...log, err: error.message },
            'container engine unavailable: waiting for it, then the step runs again',
          );
        }
        outage = error;
        await sleep(backoff(ctx.retry, waits), undefined, { signal: controller.signal }).catch(
          () => undefined,
        );
      }
    }
  };
  try {
    const event = await Promise.race([runEffect(), deadline, cancelled]);
    await progress.drain();
    return event;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}
