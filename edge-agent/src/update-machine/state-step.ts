import type { ContainerRuntime } from '../container-runtime/container-runtime.port';
import type { JobRecord } from '../snapshot-store/job-record';
import type { EffectEnv } from './effects/effect';
import { STATE_WORK } from './effects/state-effects';
import type { Logger } from './logger';
import { pullProgressReporter, type PhaseSink } from './phase-reports';
import { isActiveState, type UpdateJobContext, type UpdateJobEvent } from './update-machine';
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
 * its outcome dropped). An effect that throws is logged and its state's failure event returned.
 */
export async function runStateStep(
  record: JobRecord<UpdateJobContext>,
  deps: StateStepDeps,
  interruptible?: (interrupt: () => void) => void,
): Promise<UpdateJobEvent> {
  const ctx = record.context;
  const timeoutEvent = (): UpdateJobEvent => ({
    type: 'TIMEOUT',
    at: deps.now().toISOString(),
    state: record.state,
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
  try {
    const outcome = work.effect(ctx, env).catch((error: unknown): UpdateJobEvent => {
      if (controller.signal.aborted) return timeoutEvent();
      // Effects return their expected failures as events; anything thrown is a bug or an engine fault.
      deps.logger.error(
        { jobId: ctx.jobId, correlationId: ctx.correlationId, err: error },
        'update step threw',
      );
      const message = (error as Error)?.message ?? String(error);
      return work.onThrow({ code: 'internal_error', message }, deps.now().toISOString());
    });
    const event = await Promise.race([outcome, deadline, cancelled]);
    await progress.drain();
    return event;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}
