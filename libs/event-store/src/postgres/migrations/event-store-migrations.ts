/**
 * The event store's own tables and functions, as numbered migrations (see migration-runner.ts).
 * Never edit a shipped migration: add the next version.
 */
import { ALL_OR_NOTHING_SQLSTATE, quoteIdentifier } from '../postgres-schema';
import type { Migration } from './migration-runner';

/**
 * The lock today's and earlier releases take around their schema set-up: a process of an
 * earlier release starting during an upgrade waits for the migrations, and the other way round.
 */
export const eventStoreLockName = (schema: string) => `opcfleet-event-store:${schema}`;

export function eventStoreMigrations(schema: string): Migration[] {
  const s = quoteIdentifier(schema);
  return [
    { version: 1, name: 'streams, events, metadata, checkpoints, append function', sql: tables(s) },
    { version: 2, name: 'check_all_appended names every refused stream', sql: checkAllAppended(s) },
    { version: 3, name: 'indexes of queryEvents (audit)', sql: queryIndexes(s) },
    { version: 4, name: 'append_to_stream returns one row', sql: appendReturnsOneRow(s) },
    { version: 5, name: 'append_to_stream plans its statements once', sql: appendPlansOnce(s) },
  ];
}

/**
 * Version 1: the schema as releases before numbered migrations created it, idempotently at
 * every start. Written to be run again on such a database: it changes nothing there.
 *
 * Ordering: every event row carries the id of the transaction that wrote it
 * (`transaction_id xid8 DEFAULT pg_current_xact_id()`). Readers only take rows whose
 * transaction is older than the oldest transaction still running
 * (`transaction_id < pg_snapshot_xmin(pg_current_snapshot())`) and order by
 * `(transaction_id, global_position)`. A row below that horizon can no longer be joined by an
 * earlier one, so a cursor on that pair never skips an event committed late by a concurrent
 * transaction; a cursor on `global_position` alone would (sequence values are taken at insert,
 * not at commit).
 */
function tables(s: string): string {
  return `
CREATE SCHEMA IF NOT EXISTS ${s};

CREATE TABLE IF NOT EXISTS ${s}.streams (
  stream_name text PRIMARY KEY,
  revision bigint NOT NULL
);

CREATE TABLE IF NOT EXISTS ${s}.events (
  global_position bigserial NOT NULL,
  transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
  event_id uuid NOT NULL,
  stream_name text NOT NULL,
  stream_revision bigint NOT NULL,
  type text NOT NULL,
  data jsonb NOT NULL,
  metadata jsonb NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (transaction_id, global_position),
  UNIQUE (stream_name, stream_revision),
  UNIQUE (event_id)
);

CREATE TABLE IF NOT EXISTS ${s}.stream_metadata (
  stream_name text PRIMARY KEY,
  metadata jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS ${s}.checkpoints (
  name text PRIMARY KEY,
  checkpoint text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- One round trip per append. Returns the outcome instead of raising so that the caller
-- gets a typed error; 'duplicate' repeats the outcome of the append that stored these ids.
CREATE OR REPLACE FUNCTION ${s}.append_to_stream(
  p_stream text, p_expected bigint, p_ids uuid[], p_types text[], p_data jsonb[], p_metadata jsonb[]
) RETURNS TABLE (outcome text, revision bigint, tx xid8, pos bigint)
LANGUAGE plpgsql
-- Every statement here is an index lookup. Without this, plans cached while the tables were
-- small turned the duplicate check into sequential scans of all events (measured: 5.8M rows
-- read for 400 appends of 100 events).
SET enable_seqscan = off
AS $fn$
DECLARE
  v_current bigint;
  v_updated boolean;
  v_found int;
  v_same_stream int;
  v_count int := cardinality(p_ids);
BEGIN
  -- Usual case in one statement: the stream exists and meets the expectation; the UPDATE locks
  -- it (and re-checks the condition on the newest row version when it had to wait).
  UPDATE ${s}.streams st SET revision = st.revision + v_count
    WHERE st.stream_name = p_stream
      AND (p_expected = -1
        OR (p_expected = -2 AND st.revision = -1)
        OR (p_expected = -3 AND st.revision >= 0)
        OR (p_expected >= 0 AND st.revision = p_expected))
    RETURNING st.revision - v_count INTO v_current;
  v_updated := FOUND;
  IF NOT v_updated THEN
    INSERT INTO ${s}.streams AS st (stream_name, revision) VALUES (p_stream, -1)
      ON CONFLICT (stream_name) DO NOTHING;
    SELECT st.revision INTO v_current FROM ${s}.streams st
      WHERE st.stream_name = p_stream FOR UPDATE;
  END IF;

  -- Checked under the stream lock, before the expectation: a retry of a stored append gets
  -- that append's result even though the stream has moved on since.
  SELECT count(*), count(*) FILTER (WHERE e.stream_name = p_stream)
    INTO v_found, v_same_stream
    FROM ${s}.events e WHERE e.event_id = ANY (p_ids);
  IF v_found > 0 THEN
    IF v_updated THEN
      UPDATE ${s}.streams st SET revision = v_current WHERE st.stream_name = p_stream;
    END IF;
    IF v_found = v_count AND v_same_stream = v_count THEN
      RETURN QUERY SELECT 'duplicate'::text, e.stream_revision, e.transaction_id, e.global_position
        FROM ${s}.events e WHERE e.event_id = ANY (p_ids)
        ORDER BY e.stream_revision DESC LIMIT 1;
    ELSE
      RETURN QUERY SELECT 'partial_duplicate'::text, v_current, NULL::xid8, NULL::bigint;
    END IF;
    RETURN;
  END IF;

  IF NOT v_updated THEN
    IF (p_expected = -2 AND v_current <> -1)
       OR (p_expected = -3 AND v_current = -1)
       OR (p_expected >= 0 AND v_current <> p_expected) THEN
      RETURN QUERY SELECT 'wrong_revision'::text, v_current, NULL::xid8, NULL::bigint;
      RETURN;
    END IF;
    UPDATE ${s}.streams st SET revision = v_current + v_count WHERE st.stream_name = p_stream;
  END IF;

  IF v_count = 0 THEN
    RETURN QUERY SELECT 'appended'::text, v_current, e.transaction_id, e.global_position
      FROM (SELECT 1) one
      LEFT JOIN ${s}.events e ON e.stream_name = p_stream AND e.stream_revision = v_current;
    RETURN;
  END IF;

  RETURN QUERY
    WITH inserted AS (
      INSERT INTO ${s}.events (event_id, stream_name, stream_revision, type, data, metadata)
      SELECT u.id, p_stream, v_current + u.n, u.type, u.data, u.metadata
        FROM unnest(p_ids, p_types, p_data, p_metadata) WITH ORDINALITY AS u(id, type, data, metadata, n)
        ORDER BY u.n
      RETURNING stream_revision, transaction_id, global_position
    )
    SELECT 'appended'::text, i.stream_revision, i.transaction_id, i.global_position
      FROM inserted i ORDER BY i.stream_revision DESC LIMIT 1;
END
$fn$;

-- A multi-stream append that must be all or nothing: fails its whole statement (appends and
-- dependent writes) when one stream did not take its events. SQLSTATE ${ALL_OR_NOTHING_SQLSTATE}, the
-- stream, its outcome and revision in DETAIL, for the caller's typed error.
CREATE OR REPLACE FUNCTION ${s}.require_appended(p_streams text[], p_outcomes text[], p_revisions bigint[])
RETURNS boolean
LANGUAGE plpgsql
AS $fn$
BEGIN
  FOR i IN 1 .. coalesce(array_length(p_outcomes, 1), 0) LOOP
    IF p_outcomes[i] NOT IN ('appended', 'duplicate') THEN
      RAISE EXCEPTION 'stream % did not take its events: %', p_streams[i], p_outcomes[i]
        USING ERRCODE = '${ALL_OR_NOTHING_SQLSTATE}',
              DETAIL = json_build_object('stream', p_streams[i], 'outcome', p_outcomes[i],
                                         'revision', p_revisions[i])::text;
    END IF;
  END LOOP;
  RETURN true;
END
$fn$;
`;
}

/**
 * Version 2: the check of an all-or-nothing multi-stream append. It fails the whole statement
 * (appends and rows) when a stream did not take its events, with SQLSTATE
 * ${ALL_OR_NOTHING_SQLSTATE} and every refused stream in DETAIL, a JSON array of
 * `{ stream, outcome, revision }`, so that the caller reloads all of them at once.
 * (require_appended, of version 1, stops at the first one; releases before this one use it.)
 */
function checkAllAppended(s: string): string {
  return `
CREATE OR REPLACE FUNCTION ${s}.check_all_appended(p_streams text[], p_outcomes text[], p_revisions bigint[])
RETURNS boolean
LANGUAGE plpgsql
AS $fn$
DECLARE
  v_refused jsonb := '[]';
BEGIN
  FOR i IN 1 .. coalesce(array_length(p_outcomes, 1), 0) LOOP
    IF p_outcomes[i] NOT IN ('appended', 'duplicate') THEN
      v_refused := v_refused || jsonb_build_array(jsonb_build_object(
        'stream', p_streams[i], 'outcome', p_outcomes[i], 'revision', p_revisions[i]));
    END IF;
  END LOOP;
  IF jsonb_array_length(v_refused) > 0 THEN
    RAISE EXCEPTION '% stream(s) did not take their events', jsonb_array_length(v_refused)
      USING ERRCODE = '${ALL_OR_NOTHING_SQLSTATE}', DETAIL = v_refused::text;
  END IF;
  RETURN true;
END
$fn$;
`;
}

/**
 * Version 3: what queryEvents pages through cheaply. A tenant's events in commit order, alone or
 * with one actor or one type (each page walks the index from the cursor and stops when full);
 * a tenant's time range (the rows of the range, sorted); the events of one correlation id (a
 * rollout's jobs). Built without CONCURRENTLY (the runner wraps each migration in a
 * transaction): on a large store, appends wait while the indexes are built.
 */
function queryIndexes(s: string): string {
  return `
-- Two indexes, not one per filter: every append pays for each (five cost the API about a third
-- of its latency at 200 requests/s). Actor, type and time filter the tenant's pages in order.
CREATE INDEX IF NOT EXISTS events_tenant_position
  ON ${s}.events ((metadata->>'tenantId'), transaction_id, global_position);
CREATE INDEX IF NOT EXISTS events_correlation_id
  ON ${s}.events ((metadata->>'correlationId'));
-- Statistics of the new expressions now, not at autovacuum's next pass: without them the
-- planner takes a tenant for a handful of rows and sorts all of its events for every page.
ANALYZE ${s}.events;
`;
}

/**
 * Version 4: the planner learns that append_to_stream returns one row (a set-returning function
 * is taken for 1,000 without ROWS). With that, the plan of a multi-stream append made without
 * its parameters costs about what the plans made with them cost, so PostgreSQL keeps it for a
 * named statement instead of planning every append again (0.4 ms of the database's CPU each).
 */
function appendReturnsOneRow(s: string): string {
  return `
ALTER FUNCTION ${s}.append_to_stream(text, bigint, uuid[], text[], jsonb[], jsonb[]) ROWS 1;
`;
}

/**
 * Version 5: each statement inside append_to_stream keeps one generic plan. Left to choose,
 * PostgreSQL planned some of them again at calls (the duplicate check on `event_id = ANY` among
 * them). Measured on 2026-12-01 (docs/benchmarks.md): one call 0.26 -> 0.21 ms, a job's opening
 * append (two streams) 0.58 -> 0.56 ms. enable_seqscan = off (version 1) keeps the generic
 * plans on the indexes.
 */
function appendPlansOnce(s: string): string {
  return `
ALTER FUNCTION ${s}.append_to_stream(text, bigint, uuid[], text[], jsonb[], jsonb[])
  SET plan_cache_mode = force_generic_plan;
`;
}
