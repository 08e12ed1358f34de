import { Injectable } from '@nestjs/common';
import {
  evolveConfigJob,
  foldConfigJob,
  isConfigJobFinal,
  type ConfigJob,
  type ConfigJobState,
} from '../config-jobs/domain/config-job.decider';
import type { ConfigJobEvent } from '../config-jobs/domain/config-job.events';
import { EventStreams, retryOnConflict, type LoadedStream } from '../event-sourcing/event-streams';
import { decideClient, foldClient } from '../clients/domain/client.decider';
import type { ClientEvent, ConfigOutcome, UpdateOutcome } from '../clients/domain/client.events';
import { deterministicId } from '../shared/domain/deterministic-id';
import type { CommandContext, IsoTimestamp, JobKind } from '../shared/domain/domain-event';
import { clientStream, jobStream } from '../shared/domain/stream-names';
import {
  evolveUpdateJob,
  foldUpdateJob,
  isUpdateJobFinal,
  type UpdateJob,
  type UpdateJobState,
  type UpdateJobStatus,
} from '../update-jobs/domain/update-job.decider';
import type { UpdateJobEvent } from '../update-jobs/domain/update-job.events';

export type LoadedJob =
  | ({ kind: 'update'; streamName: string } & LoadedStream<UpdateJob>)
  | ({ kind: 'config'; streamName: string } & LoadedStream<ConfigJob>);

const UPDATE_OUTCOMES: Partial<Record<UpdateJobStatus, UpdateOutcome>> = {
  Succeeded: 'succeeded',
  Failed: 'failed',
  RolledBack: 'rolled_back',
  TimedOut: 'timed_out',
  Cancelled: 'cancelled',
};
const CONFIG_OUTCOMES: Partial<Record<ConfigJob['status'], ConfigOutcome>> = {
  Applied: 'applied',
  Rejected: 'rejected',
  TimedOut: 'timed_out',
  Cancelled: 'cancelled',
};

/** Loads jobs of either kind and keeps the client stream in step with their ends. */
@Injectable()
export class JobStreams {
  constructor(private readonly streams: EventStreams) {}

  /** The job with this id, trying `preferred` kind first; undefined when neither stream exists. */
  async load(jobId: string, preferred: JobKind = 'update'): Promise<LoadedJob | undefined> {
    for (const kind of preferred === 'update'
      ? (['update', 'config'] as const)
      : (['config', 'update'] as const)) {
      const streamName = jobStream(kind, jobId);
      if (kind === 'update') {
        const loaded = await this.streams.load<UpdateJob | null, UpdateJobEvent>(
          streamName,
          foldUpdateJob,
        );
        if (loaded.state) return { ...loaded, state: loaded.state, kind, streamName };
      } else {
        const loaded = await this.streams.load<ConfigJob | null, ConfigJobEvent>(
          streamName,
          foldConfigJob,
        );
        if (loaded.state) return { ...loaded, state: loaded.state, kind, streamName };
      }
    }
    return undefined;
  }

  /**
   * Appends decided job events. When they end the job, its end is recorded on the client
   * stream in the same transaction (which frees the client for its next update).
   */
  async appendToJob(
    job: LoadedJob,
    events: readonly (UpdateJobEvent | ConfigJobEvent)[],
    options: { context: CommandContext; eventIds?: string[]; at: IsoTimestamp },
  ): Promise<void> {
    if (events.length === 0) return;
    const jobAppend = {
      streamName: job.streamName,
      events,
      expectedRevision: job.expectedRevision,
      context: options.context,
      eventIds: options.eventIds,
    };
    const after = evolveLoaded(job, events);
    const ending = endOf(after, options.at);
    if (!ending) {
      await this.streams.appendAtomically(jobAppend, []);
      return;
    }
    const { tenantId, clientId } = job.state.request;
    const stream = clientStream(tenantId, clientId);
    const client = await this.streams.load<ReturnType<typeof foldClient>, ClientEvent>(
      stream,
      foldClient,
    );
    const clientEvents = client.state ? decideClient(ending, client.state) : [];
    await this.streams.appendAtomically(jobAppend, [
      {
        streamName: stream,
        events: clientEvents,
        expectedRevision: client.expectedRevision,
        context: options.context,
        eventIds: [deterministicId(`${job.state.request.jobId}:client-ended`)],
      },
    ]);
  }

  /**
   * Mirrors a job's end on its client's stream, which frees the client for its next update.
   * Safe to repeat: the client decider records an end once, under a name-based event id.
   */
  async settleOnClient(job: LoadedJob, context: CommandContext, at: IsoTimestamp): Promise<void> {
    const ending = endOf(job, at);
    if (!ending) return;
    const { tenantId, clientId } = job.state.request;
    const stream = clientStream(tenantId, clientId);
    await retryOnConflict(async () => {
      const client = await this.streams.load<ReturnType<typeof foldClient>, ClientEvent>(
        stream,
        foldClient,
      );
      if (!client.state) return;
      const events = decideClient(ending, client.state);
      await this.streams.append(stream, events, {
        expectedRevision: client.expectedRevision,
        context,
        eventIds: [deterministicId(`${job.state.request.jobId}:client-ended`)],
      });
    });
  }
}

function evolveLoaded(
  job: LoadedJob,
  events: readonly (UpdateJobEvent | ConfigJobEvent)[],
): LoadedJob {
  if (job.kind === 'update') {
    const state = (events as UpdateJobEvent[]).reduce<UpdateJobState>(evolveUpdateJob, job.state);
    return { ...job, state: state! };
  }
  const state = (events as ConfigJobEvent[]).reduce<ConfigJobState>(evolveConfigJob, job.state);
  return { ...job, state: state! };
}

/** The client command that records this job's end, or undefined while it runs. */
export function endOf(job: LoadedJob, at: IsoTimestamp) {
  const jobId = job.state.request.jobId;
  if (job.kind === 'update') {
    if (!isUpdateJobFinal(job.state)) return undefined;
    return {
      type: 'EndUpdate' as const,
      data: {
        jobId,
        outcome: UPDATE_OUTCOMES[job.state.status]!,
        // The version the device runs afterwards: the new one, or the old one after a rollback.
        ...(job.state.reportedVersion && ['Succeeded', 'RolledBack'].includes(job.state.status)
          ? { version: job.state.reportedVersion }
          : {}),
        at: job.state.finishedAt ?? at,
      },
    };
  }
  if (!isConfigJobFinal(job.state)) return undefined;
  return {
    type: 'EndConfig' as const,
    data: {
      jobId,
      version: job.state.request.version,
      outcome: CONFIG_OUTCOMES[job.state.status]!,
      at: job.state.finishedAt ?? at,
    },
  };
}
