/** Appending to several streams in one statement: one round trip, one implicit transaction. */
import {
  DuplicateEventIdsError,
  InvalidEventStoreInputError,
  WrongExpectedRevisionError,
  type ExpectedRevision,
  type NewEvent,
} from '../event-store';
import { actualRevision, type AppendRow } from './append';
import { tableOf, type StoreConnection } from './connection';
import { checkedEventId, checkedStreamName, checkedType, encodeExpected } from './input';
import { ALL_OR_NOTHING_SQLSTATE } from './postgres-schema';
import type { StatementParams } from './statement-params';

/** One stream of a statement, its input checked. */
export interface StreamRequest {
  streamName: string;
  expectedRevision: ExpectedRevision;
  events: readonly NewEvent[];
}

/** A row of the statement's answer: the append function's, with the stream's ordinal. */
export type OrderedAppendRow = AppendRow & { ord: number };

/** Streams named once each, and every event checked, before anything reaches SQL. */
export function checkedRequests(appends: readonly StreamRequestInput[]): StreamRequest[] {
  if (!Array.isArray(appends)) throw new InvalidEventStoreInputError('appends must be an array');
  const requests = appends.map((append) => {
    const events: readonly NewEvent[] = append.events ?? [];
    events.forEach((event, index) => {
      checkedEventId(event, index);
      checkedType(event, index);
    });
    const expectedRevision = append.expectedRevision ?? 'any';
    encodeExpected(expectedRevision);
    return { streamName: checkedStreamName(append.streamName), expectedRevision, events };
  });
  if (new Set(requests.map((r) => r.streamName)).size !== requests.length) {
    throw new InvalidEventStoreInputError('a multi-stream append names each stream once');
  }
  return requests;
}

type StreamRequestInput = Pick<StreamRequest, 'streamName' | 'events'> & {
  expectedRevision?: ExpectedRevision;
};

/**
 * One call of append_to_stream per stream, in the order given (the order the streams are
 * locked in), then the CTEs of `writes`, whose parameters come after the events': they may
 * read `appended (ord, stream_name, outcome, revision, tx, pos)`. `allOrNothing`: the statement
 * fails (SQLSTATE ALL_OR_NOTHING_SQLSTATE) when a stream did not take its events, and the
 * writes with it.
 */
export function appendStatement(
  connection: StoreConnection,
  requests: readonly StreamRequest[],
  params: StatementParams,
  writes: () => readonly string[],
  { allOrNothing }: { allOrNothing: boolean },
): string {
  const events = requests.flatMap((request, index) =>
    request.events.map((event) => ({ stream: index + 1, event })),
  );
  const names = params.add(requests.map((request) => request.streamName));
  const expected = params.add(requests.map((request) => encodeExpected(request.expectedRevision)));
  const streams = params.add(events.map(({ stream }) => stream));
  const ids = params.add(events.map(({ event }) => event.id));
  const types = params.add(events.map(({ event }) => event.type));
  const data = params.add(events.map(({ event }) => JSON.stringify(event.data ?? null)));
  const metadata = params.add(events.map(({ event }) => JSON.stringify(event.metadata ?? {})));
  const ctes = writes();
  return `WITH appended AS MATERIALIZED (
       SELECT s.ord::int AS ord, s.stream AS stream_name, r.outcome, r.revision, r.tx, r.pos
         FROM unnest(${names}::text[], ${expected}::bigint[]) WITH ORDINALITY AS s(stream, expected, ord)
        CROSS JOIN LATERAL (
          SELECT coalesce(array_agg(e.id ORDER BY e.n), '{}') AS ids,
                 coalesce(array_agg(e.type ORDER BY e.n), '{}') AS types,
                 coalesce(array_agg(e.data ORDER BY e.n), '{}') AS data,
                 coalesce(array_agg(e.metadata ORDER BY e.n), '{}') AS metadata
            FROM unnest(${streams}::int[], ${ids}::uuid[], ${types}::text[], ${data}::text[]::jsonb[], ${metadata}::text[]::jsonb[])
                 WITH ORDINALITY AS e(stream, id, type, data, metadata, n)
           WHERE e.stream = s.ord
        ) g
        CROSS JOIN LATERAL ${tableOf(connection, 'append_to_stream')}(s.stream, s.expected, g.ids, g.types, g.data, g.metadata) r
     )${ctes.map((cte) => `, ${cte}`).join('')}${
       allOrNothing
         ? `, required AS (
       SELECT ${tableOf(connection, 'require_appended')}(
                array_agg(stream_name ORDER BY ord), array_agg(outcome ORDER BY ord),
                array_agg(revision ORDER BY ord)) AS ok
         FROM appended)`
         : ''
     }
     SELECT ord, outcome, revision, tx::text AS tx, pos
       FROM appended${allOrNothing ? ', required' : ''} ORDER BY ord`;
}

/** The typed error for a statement that require_appended failed; undefined for any other error. */
export function refusedAppendError(
  error: unknown,
  requests: readonly StreamRequest[],
): Error | undefined {
  const pgError = error as { code?: string; detail?: string };
  if (pgError?.code !== ALL_OR_NOTHING_SQLSTATE || !pgError.detail) return undefined;
  const refused = JSON.parse(pgError.detail) as {
    stream: string;
    outcome: 'wrong_revision' | 'partial_duplicate';
    revision: number;
  };
  const request = requests.find((r) => r.streamName === refused.stream);
  if (refused.outcome === 'partial_duplicate') {
    return new DuplicateEventIdsError(
      refused.stream,
      (request?.events ?? []).map((event) => event.id),
    );
  }
  return new WrongExpectedRevisionError(
    refused.stream,
    request?.expectedRevision ?? 'any',
    actualRevision(refused.revision),
  );
}
