import { Inject, Injectable } from '@nestjs/common';
import {
  DuplicateEventIdsError,
  WrongExpectedRevisionError,
  type AppendOptions,
  type AppendResult,
  type EventStore,
  type EventMetadata,
  type ExpectedRevision,
  type NewEvent,
} from '@opcfleet/event-store';
import type { SqlQuery } from '@opcfleet/event-store/postgres/checkpoints';
import {
  PostgresEventStore,
  type DependentWrite,
} from '@opcfleet/event-store/postgres/postgres-event-store';
import { EXPECTED, quoteIdentifier } from '@opcfleet/event-store/postgres/postgres-schema';
import { randomUUID } from 'node:crypto';
import { projectEvents, rowWritesAfter } from '../read-models/read-model.projector';
import type { CommandContext, DomainEvent } from '../shared/domain/domain-event';
import { DomainError } from '../shared/domain/domain-error';
import { retry } from '../shared/retry';
import { EVENT_STORE } from './event-store.token';
import { LocalCommits, type CommittedEvent } from './local-commits';

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
   * The stream's state the decision was taken on, folded from its first event (state null:
   * a new stream). With it, and an exact expectedRevision, the read-model rows are written
   * from it in the append's own statement, without reading them first.
   */
  known?: { state: unknown };
}

/**
 * Loads a stream into the state of its decider and appends what the decider decided, with the
 * command's context as metadata. Every append also projects its events into the read models
 * in the same transaction (PostgresEventStore's onAppended), so a read right after a command
 * sees its effect; the projection subscription later skips them by revision.
 */
@Injectable()
export class EventStreams {
  constructor(
    @Inject(EVENT_STORE) readonly store: EventStore,
    private readonly localCommits: LocalCommits = new LocalCommits(),
  ) {
    // Multi-stream appends and inline projections ride on the append transaction of the
    // PostgreSQL adapter (onAppended); another adapter would silently skip them.
    if (!(store instanceof PostgresEventStore)) {
      throw new Error('EventStreams needs the PostgresEventStore (PostgreSQL or PGlite)');
    }
  }

  async load<State, Event extends DomainEvent>(
    streamName: string,
    fold: (events: Event[]) => State,
  ): Promise<LoadedStream<State>> {
    const recorded = await this.store.readStream(streamName);
    const events = recorded.map((event) => ({ type: event.type, data: event.data }) as Event);
    return {
      state: fold(events),
      expectedRevision:
        recorded.length === 0 ? 'no_stream' : recorded[recorded.length - 1].revision,
      origin: recorded[0]?.metadata,
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
   * at its expected revision (a conflict on any rolls all back with WrongExpectedRevisionError).
   * Used where a job opens or ends together with its mark on the client stream.
   */
  async appendAtomically(first: StreamAppend, also: StreamAppend[]): Promise<AppendResult> {
    const appends = [first, ...also]
      .filter((append, index) => index === 0 || append.events.length > 0)
      .map((append) => ({ append, events: toNewEvents(append), lastRevision: -1 }));
    const rows = rowsFromKnownStates(appends.map(({ append }) => append));
    if (rows) return this.appendInOneStatement(appends, rows);
    const [head, ...rest] = appends;
    let appended = false;
    const options: AppendOptions & {
      onAppended?: (tx: { query: SqlQuery; result: AppendResult }) => Promise<void>;
    } = {
      expectedRevision: first.expectedRevision,
      onAppended: async ({ query, result }) => {
        head.lastRevision = result.nextExpectedRevision;
        await project(query, first, head.lastRevision);
        for (const next of rest) {
          next.lastRevision = await this.appendInTransaction(query, next.append, next.events);
          await project(query, next.append, next.lastRevision);
        }
        appended = true;
      },
    };
    const result = await this.store.appendToStream(first.streamName, head.events, options);
    // An idempotent retry appended nothing: there is no news to tell.
    if (appended) this.localCommits.committed(appends.flatMap(committedEvents));
    return result;
  }

  /**
   * The whole append in one round trip: every stream and its read-model rows in one statement
   * (PostgresEventStore.appendToStreamsAtomically), all or nothing.
   */
  private async appendInOneStatement(
    appends: { append: StreamAppend; events: NewEvent[]; lastRevision: number }[],
    rows: DependentWrite[],
  ): Promise<AppendResult> {
    const outcomes = await (this.store as PostgresEventStore).appendToStreamsAtomically(
      appends.map(({ append, events }) => ({
        streamName: append.streamName,
        events,
        expectedRevision: append.expectedRevision,
      })),
      rows,
    );
    const [first] = outcomes;
    if (first.outcome !== 'appended' && first.outcome !== 'duplicate') {
      // appendToStreamsAtomically throws for these; a guard for the type, not a path.
      throw new Error(`stream ${first.streamName} did not take its events`);
    }
    const fresh = appends.filter((_, index) => outcomes[index].outcome === 'appended');
    for (const entry of fresh) {
      entry.lastRevision = revisionAfter(entry.append)!;
    }
    this.localCommits.committed(fresh.flatMap(committedEvents));
    return { nextExpectedRevision: first.nextExpectedRevision, position: first.position };
  }

  /** The store's own append function, run on the connection of an open append transaction. */
  private async appendInTransaction(
    query: SqlQuery,
    append: StreamAppend,
    events: NewEvent[],
  ): Promise<number> {
    const schema = (this.store as PostgresEventStore).schema;
    const expected = append.expectedRevision;
    const result = await query(
      `SELECT outcome, revision FROM ${quoteIdentifier(schema)}.append_to_stream($1, $2, $3::uuid[], $4::text[], $5::text[]::jsonb[], $6::text[]::jsonb[])`,
      [
        append.streamName,
        typeof expected === 'number' ? expected : EXPECTED[expected],
        events.map((event) => event.id),
        events.map((event) => event.type),
        events.map((event) => JSON.stringify(event.data ?? null)),
        events.map((event) => JSON.stringify(event.metadata ?? {})),
      ],
    );
    const rows = Array.isArray(result) ? result : (result as { rows: unknown[] }).rows;
    const row = rows[0] as { outcome: string; revision: string };
    const revision = Number(row.revision);
    if (row.outcome === 'wrong_revision') {
      throw new WrongExpectedRevisionError(
        append.streamName,
        expected,
        revision < 0 ? 'no_stream' : revision,
      );
    }
    if (row.outcome === 'partial_duplicate') {
      throw new DuplicateEventIdsError(
        append.streamName,
        events.map((event) => event.id),
      );
    }
    return revision;
  }
}

export interface StreamAppend extends AppendDecided {
  streamName: string;
  events: readonly DomainEvent[];
}

function toNewEvents({ events, eventIds, context }: StreamAppend): NewEvent[] {
  return events.map((event, index) => ({
    id: eventIds?.[index] ?? randomUUID(),
    type: event.type,
    data: event.data,
    metadata: metadataOf(context),
  }));
}

/** The metadata every event of a command carries: who, for which tenant, in which chain. */
export function metadataOf(context: CommandContext): EventMetadata {
  return {
    actor: context.actor,
    tenantId: context.tenantId,
    correlationId: context.correlationId,
    ...(context.causationId ? { causationId: context.causationId } : {}),
  };
}

/** A stream's revision after this append, when its expected revision says it exactly. */
function revisionAfter(append: StreamAppend): number | undefined {
  const expected = append.expectedRevision;
  if (typeof expected === 'number') return expected + append.events.length;
  if (expected === 'no_stream') return append.events.length - 1;
  return undefined;
}

/**
 * The read-model rows of every stream of an append from the states its caller folded, or
 * undefined when one stream's state or exact revision is not known (the append then projects
 * in its transaction, reading the rows).
 */
function rowsFromKnownStates(appends: StreamAppend[]): DependentWrite[] | undefined {
  const rows: DependentWrite[] = [];
  for (const append of appends) {
    const revision = revisionAfter(append);
    if (!append.known || append.events.length === 0 || revision === undefined) return undefined;
    const writes = rowWritesAfter(append.streamName, append.known.state, append.events, revision);
    if (!writes) return undefined;
    rows.push(...writes);
  }
  return rows;
}

/** What a committed append wrote, for LocalCommits; recordedAt is this process's clock. */
function committedEvents({
  append,
  events,
  lastRevision,
}: {
  append: StreamAppend;
  events: NewEvent[];
  lastRevision: number;
}): CommittedEvent[] {
  const recordedAt = new Date();
  const firstRevision = lastRevision - events.length + 1;
  return events.map((event, index) => ({
    id: event.id,
    streamName: append.streamName,
    type: event.type,
    data: event.data,
    metadata: event.metadata ?? {},
    revision: firstRevision + index,
    recordedAt,
  }));
}

/** Projects freshly appended events into the read models, inside the append's transaction. */
function project(query: SqlQuery, append: StreamAppend, lastRevision: number): Promise<unknown> {
  const first = lastRevision - append.events.length + 1;
  return projectEvents(
    query,
    append.events.map((event, index) => ({
      streamName: append.streamName,
      revision: first + index,
      type: event.type,
      data: event.data,
    })),
  );
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
