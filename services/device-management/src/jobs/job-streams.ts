import { Injectable } from '@nestjs/common';
import { EventStreams, retryOnConflict, type LoadedStream } from '../event-sourcing/event-streams';
import { decideClient, evolveClientBy, foldClient } from '../clients/domain/client.decider';
import type { ClientEvent } from '../clients/domain/client.events';
import { deterministicId } from '../shared/domain/deterministic-id';
import type {
  CommandContext,
  DomainEvent,
  IsoTimestamp,
  JobKind,
} from '../shared/domain/domain-event';
import { clientStream, idName, jobStream } from '../shared/domain/stream-names';
import type { JobState } from './domain/job-kind';
import {
  endOf,
  evolveJob,
  jobKind,
  JOB_KIND_DEFINITIONS,
  type Job,
  type JobEvent,
} from './job-kinds';

export type LoadedJob = Job & { streamName: string } & Omit<LoadedStream<unknown>, 'state'>;

/** Loads jobs of either kind and keeps the client stream in step with their ends. */
@Injectable()
export class JobStreams {
  constructor(private readonly streams: EventStreams) {}

  /**
   * The tenant's job with this id, trying `preferred` kind first; undefined when no kind's stream
   * exists. Another tenant's job is never found: the tenant is part of the stream's name.
   */
  async load(tenantId: string, jobId: string, preferred?: JobKind): Promise<LoadedJob | undefined> {
    const kinds = JOB_KIND_DEFINITIONS.map(({ kind }) => kind);
    for (const kind of new Set(preferred ? [preferred, ...kinds] : kinds)) {
      const streamName = jobStream(kind, tenantId, jobId);
      const loaded = await this.streams.load<JobState | null, DomainEvent>(
        streamName,
        jobKind(kind).fold,
      );
      if (loaded.state) return { ...loaded, state: loaded.state, kind, streamName } as LoadedJob;
    }
    return undefined;
  }

  /**
   * Appends decided job events. When they end the job, its end is recorded on the client
   * stream in the same transaction (which frees the client for its next update).
   */
  async appendToJob(
    job: LoadedJob,
    events: readonly JobEvent[],
    options: { context: CommandContext; eventIds?: string[]; at: IsoTimestamp },
  ): Promise<void> {
    if (events.length === 0) return;
    const after = evolveJob(job, events);
    const jobAppend = {
      streamName: job.streamName,
      events,
      expectedRevision: job.expectedRevision,
      context: options.context,
      eventIds: options.eventIds,
      stateAfter: after.state,
    };
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
        eventIds: [deterministicId(idName(job.state.request.jobId, 'client-ended'))],
        stateAfter: evolveClientBy(client.state, clientEvents),
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
        eventIds: [deterministicId(idName(job.state.request.jobId, 'client-ended'))],
        stateAfter: evolveClientBy(client.state, events),
      });
    });
  }
}
