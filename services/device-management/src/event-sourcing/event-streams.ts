import { Inject, Injectable, Optional } from '@nestjs/common';
import {
  DuplicateEventIdsError,
  WrongExpectedRevisionError,
  type AppendResult,
  type EventStore,
  type EventMetadata,
  type ExpectedRevision,
  type InlineProjection,
  type NewEvent,
  type RecordedEvent,
  type StreamAppendResult,
} from '@opcfleet/event-store';
import { randomUUID } from 'node:crypto';
import type { CommandContext, DomainEvent } from '../shared/domain/domain-event';
import { DomainError } from '../shared/domain/domain-error';
import { retry } from '../shared/retry';
import { EVENT_STORE, INLINE_PROJECTION } from './event-store.token';
import { LocalCommits, type CommittedEvent } from './local-commits';
import { StreamStateCache } from './stream-state-cache';

/** Streams whose state a process keeps for its next decision (a client's, mostly): some MB. */
const CACHED_STREAMS = 20_000;

export interface LoadedStream<State> {
  state: State;
  /** Pass back to `append` so that a concurrent writer makes it fail instead of both winning. */
  expectedRevision: ExpectedRevision;
  /** Metadata of the stream's first event: who started it, and its correlation id. */
  origin?: EventMetadata;
}

export interface AppendDecided {
  expectedRevision: ExpectedRevision;
  context: CommandContext;
  /** Ids for the events, when they derive from an outside fact (idempotent retries). */
  eventIds?: string[];
  /**
   * The stream's state after these events, folded from its first event (the state the
   * decision was taken on, evolved by the events). With it, and an exact expectedRevision, the
   * read-model rows are written from it in the append's own statement (read-your-writes).
   */
  stateAfter?: unknown;
}

export interface StreamAppend extends AppendDecided {
  streamName: string;
  events: readonly DomainEvent[];
}

/** One stream of `EventStreams.write`: events ready to store, each with its id and metadata. */
export interface StreamWrite {
  streamName: string;
  events: readonly NewEvent[];
  expectedRevision: ExpectedRevision;
  stateAfter?: unknown;
}

/**
 * The service's one way to append: loads a stream into the state of its decider, and appends
 * what deciders decided, to one stream or several at once (all or nothing), through the
 * port's atomic `appendToStreams`. The inline projection (INLINE_PROJECTION, the read models'
 * row mapper) turns each stream's state after the append into rows that commit with the
 * events, so a read right after a command sees its effect. Listeners in this process hear of
 * each commit (LocalCommits).
 */
@Injectable()
export class EventStreams {
  private readonly cache = new StreamStateCache(CACHED_STREAMS);

  constructor(
    @Inject(EVENT_STORE) readonly store: EventStore,
    private readonly localCommits: LocalCommits = new LocalCommits(),
    @Optional() @Inject(INLINE_PROJECTION) private readonly project?: InlineProjection,
  ) {}

  async load<State, Event extends DomainEvent>(
    streamName: string,
    fold: (events: Event[]) => State,
  ): Promise<LoadedStream<State>> {
    return loaded(await this.store.readStream(streamName), fold);
  }

  /**
   * `load` for a decision that is appended back to this stream at the returned revision: the
   * state this process holds from its last load or append of the stream, when it has one, else
   * from the store. A copy gone stale (another process appended) fails that append as a
   * conflict, which drops it, so retryOnConflict decides again on the stored state. `fold` must
   * give the state that appends to the stream pass as `stateAfter`. `cached`: a refusal decided
   * on this state may be stale too: `forget` the stream and decide again before answering it.
   */
  async loadToAppend<State, Event extends DomainEvent>(
    streamName: string,
    fold: (events: Event[]) => State,
  ): Promise<LoadedStream<State> & { cached: boolean }> {
    const known = this.cache.get<State>(streamName, fold);
    if (known) return { ...known, cached: true };
    const stored = await this.load(streamName, fold);
    this.cache.remember(streamName, fold, stored);
    return { ...stored, cached: false };
  }

  /** Drops this process's copy of the stream's state (see loadToAppend). */
  forget(streamName: string): void {
    this.cache.forget(streamName);
  }

  /** Several streams loaded at once (one query), by name; a stream without events has none. */
  async loadMany<State, Event extends DomainEvent>(
    streamNames: readonly string[],
    fold: (events: Event[]) => State,
  ): Promise<Map<string, LoadedStream<State>>> {
    const streams = await this.store.readStreams(streamNames);
    return new Map(
      streamNames.map((streamName) => [streamName, loaded(streams.get(streamName) ?? [], fold)]),
    );
  }

  /**
   * A stream loaded before (`known`, at an exact revision) brought up to date: reads only the
   * events after that revision and evolves its state by them. For long streams whose state a
   * process keeps between commands (a rollout of 10,000 targets has some 20,000 events).
   */
  async catchUp<State, Event extends DomainEvent>(
    streamName: string,
    known: LoadedStream<State> & { expectedRevision: number },
    evolve: (state: State, event: Event) => State,
  ): Promise<LoadedStream<State> & { expectedRevision: number }> {
    const recorded = await this.store.readStream(streamName, {
      fromRevision: known.expectedRevision + 1,
    });
    if (recorded.length === 0) return known;
    return {
      state: recorded.reduce(
        (state, event) => evolve(state, { type: event.type, data: event.data } as Event),
        known.state,
      ),
      expectedRevision: recorded[recorded.length - 1].revision,
      ...(known.origin ? { origin: known.origin } : {}),
    };
  }

  async append(
    streamName: string,
    events: readonly DomainEvent[],
    options: AppendDecided,
  ): Promise<AppendResult | undefined> {
    if (events.length === 0) return undefined;
    return this.appendAtomically({ streamName, events, ...options }, []);
  }

  /**
   * Appends to `first` and to every stream of `also` in one transaction: all or nothing, each
   * at its expected revision (a conflict on any writes nothing: WrongExpectedRevisionError).
   * Used where a job opens or ends together with its mark on the client stream.
   */
  async appendAtomically(first: StreamAppend, also: StreamAppend[]): Promise<AppendResult> {
    const appends = [first, ...also].filter(
      (append, index) => index === 0 || append.events.length > 0,
    );
    const [result] = await this.write(
      appends.map((append) => ({
        streamName: append.streamName,
        events: toNewEvents(append),
        expectedRevision: append.expectedRevision,
        ...(append.stateAfter !== undefined && { stateAfter: append.stateAfter }),
      })),
    );
    return { nextExpectedRevision: result.nextExpectedRevision, position: result.position };
  }

  /**
   * Appends to several streams at once, all or nothing, with the read-model rows of each
   * stream that carries its state after the events. Results in the order given; `duplicate`:
   * these events were stored before by this same append (a retry), nothing was written.
   */
  async write(appends: readonly StreamWrite[]): Promise<StreamAppendResult[]> {
    // A stream whose state is not known (or not at an exact revision) is left to the catch-up
    // projection.
    const projected = appends.map(
      (append) =>
        this.project !== undefined && append.stateAfter != null && isExact(append.expectedRevision),
    );
    let results: StreamAppendResult[];
    try {
      results = await this.store.appendToStreams(
        appends.map((append, index) =>
          projected[index] ? append : { ...append, stateAfter: undefined },
        ),
        this.project ? { project: this.project } : {},
      );
    } catch (error) {
      for (const append of appends) this.cache.forget(append.streamName);
      throw error;
    }
    // The state after is known for an append at an exact revision only; a duplicate wrote nothing.
    appends.forEach((append, index) => {
      const { outcome, nextExpectedRevision } = results[index];
      const known = outcome === 'appended' && isExact(append.expectedRevision);
      this.cache.appended(
        append.streamName,
        known ? (append.stateAfter ?? undefined) : undefined,
        nextExpectedRevision,
        known && append.expectedRevision === 'no_stream'
          ? { origin: append.events[0]?.metadata }
          : undefined,
      );
    });
    const recordedAt = new Date();
    this.localCommits.committed(
      appends.flatMap((append, index) =>
        results[index].outcome === 'appended'
          ? committedEvents(
              append,
              results[index].nextExpectedRevision,
              recordedAt,
              projected[index],
            )
          : [],
      ),
    );
    return results;
  }
}

/** A stream's recorded events folded into the state of its decider. */
function loaded<State, Event extends DomainEvent>(
  recorded: readonly RecordedEvent[],
  fold: (events: Event[]) => State,
): LoadedStream<State> {
  const events = recorded.map((event) => ({ type: event.type, data: event.data }) as Event);
  return {
    state: fold(events),
    expectedRevision: recorded.length === 0 ? 'no_stream' : recorded[recorded.length - 1].revision,
    origin: recorded[0]?.metadata,
  };
}

/** The streams that made an atomic append write nothing, when that is why it failed. */
export function refusedStreams(error: unknown): Set<string> | undefined {
  if (error instanceof WrongExpectedRevisionError) {
    return new Set(error.conflicts.map((conflict) => conflict.streamName));
  }
  if (error instanceof DuplicateEventIdsError) return new Set([error.streamName]);
  return undefined;
}

const isExact = (expected: ExpectedRevision) =>
  typeof expected === 'number' || expected === 'no_stream';

function toNewEvents({ events, eventIds, context }: StreamAppend): NewEvent[] {
  return events.map((event, index) => ({
    id: eventIds?.[index] ?? randomUUID(),
    type: event.type,
    data: event.data,
    metadata: metadataOf(context),
  }));
}

/**
 * The metadata every event of a command carries: who, for which tenant, in which chain, and in
 * which trace (jsonb like the rest: no column of its own).
 */
export function metadataOf(context: CommandContext): EventMetadata {
  return {
    actor: context.actor,
    tenantId: context.tenantId,
    correlationId: context.correlationId,
    ...(context.causationId ? { causationId: context.causationId } : {}),
    ...(context.traceparent ? { traceparent: context.traceparent } : {}),
  };
}

/** What a committed append wrote, for LocalCommits; recordedAt is this process's clock. */
function committedEvents(
  append: StreamWrite,
  lastRevision: number,
  recordedAt: Date,
  projected: boolean,
): CommittedEvent[] {
  const firstRevision = lastRevision - append.events.length + 1;
  return append.events.map((event, index) => ({
    id: event.id,
    streamName: append.streamName,
    type: event.type,
    data: event.data,
    metadata: event.metadata ?? {},
    revision: firstRevision + index,
    recordedAt,
    ...(projected ? { projected: true as const } : {}),
  }));
}

/**
 * Runs load-decide-append again when another writer got in between (optimistic concurrency):
 * the decision is taken again on the new state, so invariants hold without locks. An attempt
 * may also `return retryOnConflict.again()` after repairing the state it loaded.
 */
export async function retryOnConflict<T>(attempt: () => Promise<T>, attempts = 5): Promise<T> {
  const isConflict = (error: unknown) =>
    error instanceof WrongExpectedRevisionError || error instanceof Retry;
  try {
    return await retry(attempt, {
      classify: (error) => (isConflict(error) ? 'conflict' : 'fatal'),
      maxConflicts: attempts,
    });
  } catch (error) {
    if (!isConflict(error)) throw error;
    throw new DomainError(
      'concurrency_conflict',
      `too many concurrent changes to ${error instanceof Retry ? 'the stream' : (error as WrongExpectedRevisionError).streamName}; try again`,
    );
  }
}

class Retry extends Error {}
retryOnConflict.again = (): never => {
  throw new Retry('load again');
};
