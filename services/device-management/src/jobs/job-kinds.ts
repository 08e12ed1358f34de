import type { DomainEvent, IsoTimestamp, JobKind } from '../shared/domain/domain-event';
import { CONFIG_JOB_KIND } from './config/config-job.kind';
import type { ConfigJob } from './config/domain/config-job.decider';
import type { ConfigJobEvent } from './config/domain/config-job.events';
import type { JobEndCommand, JobKindDefinition, JobState } from './domain/job-kind';
import { isFinal, type JobLifecycleCommand } from './domain/job-lifecycle';
import type { UpdateJob } from './update/domain/update-job.decider';
import type { UpdateJobEvent } from './update/domain/update-job.events';
import { UPDATE_JOB_KIND } from './update/update-job.kind';

/**
 * The registry of job kinds: everything that differs between an update and a config job is
 * found here by the job's kind, never decided by a switch elsewhere. A new kind of job is one
 * more entry (its folder under jobs/ with its domain and its request use case).
 */
export const JOB_KIND_REGISTRY = {
  update: UPDATE_JOB_KIND,
  config: CONFIG_JOB_KIND,
} as const satisfies { [Kind in JobKind]: JobKindDefinition<Kind, JobState, DomainEvent> };

/** A kind's definition with its types forgotten: for code that works on any kind. */
export type AnyJobKind = JobKindDefinition<JobKind, JobState, DomainEvent>;

export const jobKind = (kind: JobKind): AnyJobKind => JOB_KIND_REGISTRY[kind] as AnyJobKind;

export const JOB_KIND_DEFINITIONS: readonly AnyJobKind[] = Object.values(JOB_KIND_REGISTRY).map(
  (kind) => kind as AnyJobKind,
);

/** A job of any kind: the kind tells which decider owns the state. */
export type Job = { kind: 'update'; state: UpdateJob } | { kind: 'config'; state: ConfigJob };

export type JobEvent = UpdateJobEvent | ConfigJobEvent;

/** The kind whose stream opens with this event type (UpdateRequested...), if any. */
export const kindRequestedBy = (eventType: string): AnyJobKind | undefined =>
  JOB_KIND_DEFINITIONS.find((kind) => kind.rules.eventTypes.requested === eventType);

/** The kind whose job this event type cancels (UpdateCancelled...), if any. */
export const kindCancelledBy = (eventType: string): AnyJobKind | undefined =>
  JOB_KIND_DEFINITIONS.find((kind) => kind.rules.eventTypes.cancelled === eventType);

/** The state of a job of `kind` after `events`, from its first; null: no job. */
export const foldJob = (kind: JobKind, events: readonly DomainEvent[]): JobState | null =>
  jobKind(kind).fold(events);

/** A command every job accepts, decided by the decider of the job's kind. */
export const decideJob = (command: JobLifecycleCommand, job: Job): JobEvent[] =>
  jobKind(job.kind).decide(command, job.state) as JobEvent[];

export function evolveJob<J extends Job>(job: J, events: readonly JobEvent[]): J {
  const { evolve } = jobKind(job.kind);
  const state = events.reduce<JobState | null>(evolve, job.state);
  return { ...job, state: state! };
}

/** The client command that records this job's end, or undefined while it runs. */
export function endOf(job: Job, at: IsoTimestamp): JobEndCommand | undefined {
  const kind = jobKind(job.kind);
  const state: JobState = job.state;
  return isFinal(kind.rules, state) ? kind.endCommand(state, at) : undefined;
}
