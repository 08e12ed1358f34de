import { setTimeout as sleep } from 'node:timers/promises';
import {
  RuntimeError,
  isEngineUnavailable,
  type ContainerInfo,
  type ContainerRuntime,
  type PullProgress,
} from '../../container-runtime/container-runtime.port';
import type { Logger } from '../logger';
import type { StepError, UpdateJobContext, UpdateJobEvent } from '../update-machine';
import type { WorkloadSettings } from '../workload-settings';

/** What an effect may use: the engine, the device's settings, a clock, its abort signal. */
export interface EffectEnv {
  runtime: ContainerRuntime;
  workload: WorkloadSettings;
  logger: Logger;
  now: () => Date;
  /** Aborted when the state's deadline passes: loops stop, the machine gets a TIMEOUT. */
  signal: AbortSignal;
  /** `final` reports go out even inside the throttle interval. */
  onPullProgress: (progress: PullProgress, final?: boolean) => void;
}

/**
 * A state's work against the engine. It looks first, so running it again after a crash is
 * harmless, and returns its outcome, expected failures included, as the machine's next event.
 */
export type Effect = (ctx: UpdateJobContext, env: EffectEnv) => Promise<UpdateJobEvent>;

/** Label the agent puts on the containers it creates, so the running version is known. */
export const VERSION_LABEL = 'org.opcfleet.version';
export const JOB_LABEL = 'org.opcfleet.job-id';
/** Marks a never-started copy that stands in for a job's old container (see replaceOldWithCopy). */
export const REPLACES_LABEL = 'org.opcfleet.replaces';

export const at = (env: EffectEnv) => env.now().toISOString();

export const stepError = (error: unknown, fallbackCode: string): StepError =>
  error instanceof RuntimeError
    ? { code: error.code, message: error.message }
    : { code: fallbackCode, message: (error as Error)?.message ?? String(error) };

/**
 * The STEP_FAILED outcome of an effect that caught `error`. A step cut short (deadline, cancel)
 * or an engine out of reach is not the step's failure: those are thrown on to the runner, which
 * times the step out or waits for the engine and runs the step again.
 */
export function stepFailed(env: EffectEnv, error: unknown, fallbackCode: string): UpdateJobEvent {
  if (env.signal.aborted || isEngineUnavailable(error)) throw error;
  return { type: 'STEP_FAILED', at: at(env), error: stepError(error, fallbackCode) };
}

/** Whether a container is the job's old one, or the never-started copy that replaced it. */
export const isOld = (ctx: UpdateJobContext, c: ContainerInfo | null): boolean =>
  !!c && (c.id === ctx.oldContainerId || c.labels[REPLACES_LABEL] === ctx.oldContainerId);

/** Where the old container waits for removal while its copy takes the backup name. */
export const discardNameOf = (ctx: UpdateJobContext) => `${ctx.backupName}-discard`;

/** Waits out a retry's back-off (`notBefore`), or returns at once when there is none. */
export async function waitForBackoff(ctx: UpdateJobContext, env: EffectEnv): Promise<void> {
  if (!ctx.notBefore) return;
  const wait = Date.parse(ctx.notBefore) - env.now().getTime();
  if (wait > 0) await sleep(wait, undefined, { signal: env.signal });
}
