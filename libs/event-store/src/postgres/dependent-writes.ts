/**
 * The multi-stream appends that came before the port's `appendToStreams`: SQL text from the
 * caller (DependentWrite), a per-stream outcome instead of all or nothing, an open transaction.
 * Kept until the service has moved onto the port; new code uses `appendToStreams`.
 */
import type { ExpectedRevision, NewEvent } from '../event-store';
import { actualRevision, appendedPosition } from './append';
import type { SqlQuery } from './checkpoints';
import { inTransaction, rowsOf, type StoreConnection } from './connection';
import {
  appendStatement,
  checkedRequests,
  refusedAppendError,
  type OrderedAppendRow,
} from './multi-stream-append';
import { StatementParams } from './statement-params';

/**
 * One stream's part of a multi-stream append (appendToStreams with dependent writes).
 * @deprecated Use the port's `StreamAppend` with `appendToStreams(appends, { project })`.
 */
export interface StreamAppendRequest {
  streamName: string;
  events: NewEvent[];
  expectedRevision?: ExpectedRevision;
}

/**
 * What a multi-stream append with dependent writes did to one stream.
 * @deprecated The port's `appendToStreams` answers `StreamAppendResult` and throws on a conflict.
 */
export type StreamAppendOutcome =
  | {
      streamName: string;
      /** `duplicate`: these ids were stored before (a retry); nothing was written. */
      outcome: 'appended' | 'duplicate';
      nextExpectedRevision: number;
      position: string;
    }
  /** Nothing written: the stream is at `actual`, not at the expected revision. */
  | { streamName: string; outcome: 'wrong_revision'; actual: number | 'no_stream' }
  /** Nothing written: some of the ids are stored, but not as this exact append. */
  | { streamName: string; outcome: 'partial_duplicate' };

/**
 * A write of the caller's own rows (a read model) that runs in the statement of a multi-stream
 * append, so that it needs no round trip and no transaction of its own. It may read what the
 * append did from the table `appended (stream_name text, outcome text, revision bigint)`, e.g.
 * to write only the rows of streams whose outcome is 'appended'.
 * @deprecated SQL text from the caller: return `ProjectedRow`s from an inline projection instead.
 */
export interface DependentWrite {
  /** One data-modifying statement (INSERT, UPDATE...); `param(1)` is the first of `params`. */
  sql: (param: (n: number) => string) => string;
  params: unknown[];
}

/**
 * An open write transaction of writeTransaction.
 * @deprecated Use `appendToStreams` with an inline projection.
 */
export interface WriteTransaction {
  /** Runs a statement on the transaction's connection. */
  query: SqlQuery;
  appendToStreams(
    appends: readonly StreamAppendRequest[],
    dependentWrites?: readonly DependentWrite[],
  ): Promise<StreamAppendOutcome[]>;
}

/**
 * One statement on the store's pool (its own transaction): each stream under its own
 * expectedRevision, then the dependent writes. Not all or nothing unless asked: a conflict is an
 * outcome, and the other streams are appended.
 */
export async function appendWithDependentWrites(
  connection: StoreConnection,
  appends: readonly StreamAppendRequest[],
  dependentWrites: readonly DependentWrite[],
  options: { allOrNothing: boolean },
): Promise<StreamAppendOutcome[]> {
  const pool = connection.pool;
  const outcomes = await dependentWriteStatement(
    connection,
    (sql, params) => pool.query(sql, params),
    appends,
    dependentWrites,
    options,
  );
  connection.signal.committed();
  return outcomes;
}

async function dependentWriteStatement(
  connection: StoreConnection,
  query: SqlQuery,
  appends: readonly StreamAppendRequest[],
  dependentWrites: readonly DependentWrite[],
  { allOrNothing }: { allOrNothing: boolean },
): Promise<StreamAppendOutcome[]> {
  const requests = checkedRequests(appends);
  if (requests.length === 0) return [];
  const params = new StatementParams();
  const statement = appendStatement(
    connection,
    requests,
    params,
    () =>
      dependentWrites.map((write, index) => {
        const offset = params.values.length;
        params.values.push(...write.params);
        return `dependent_${index} AS (${write.sql((n) => `$${offset + n}`)})`;
      }),
    { allOrNothing },
  );
  let rows: OrderedAppendRow[];
  try {
    rows = rowsOf<OrderedAppendRow>(await query(statement, params.values));
  } catch (error) {
    throw (allOrNothing && refusedAppendError(error, requests)) || error;
  }
  return rows.map((row) => toStreamOutcome(requests[row.ord - 1].streamName, row));
}

/** Runs `work` in one transaction with appends to several streams and the caller's own rows. */
export async function writeTransaction<T>(
  connection: StoreConnection,
  work: (transaction: WriteTransaction) => Promise<T>,
): Promise<T> {
  const result = await inTransaction(connection, (client) => {
    const query: SqlQuery = (sql, params) => client.query(sql, params);
    return work({
      query,
      appendToStreams: (appends, dependentWrites = []) =>
        dependentWriteStatement(connection, query, appends, dependentWrites, {
          allOrNothing: false,
        }),
    });
  });
  connection.signal.committed();
  return result;
}

function toStreamOutcome(streamName: string, row: OrderedAppendRow): StreamAppendOutcome {
  switch (row.outcome) {
    case 'wrong_revision':
      return {
        streamName,
        outcome: 'wrong_revision',
        actual: actualRevision(Number(row.revision)),
      };
    case 'partial_duplicate':
      return { streamName, outcome: 'partial_duplicate' };
    default:
      return {
        streamName,
        outcome: row.outcome,
        nextExpectedRevision: Number(row.revision),
        position: appendedPosition(row),
      };
  }
}
