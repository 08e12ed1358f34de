/**
 * `npm run bench:event-store`: the same workload on this store and on Emmett's PostgreSQL event
 * store (@event-driven-io/emmett-postgresql), each in a fresh database of BENCH_DATABASE_URL's
 * server, and one table with both and the ratio. Figures, not assertions: see README.md.
 *
 * BENCH_BASELINE=<folder of another build's dist/libs/event-store/src/postgres> compares with
 * that build of this store instead (an earlier commit, built in a git worktree).
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import { getPostgreSQLEventStore, readMessagesBatch } from '@event-driven-io/emmett-postgresql';
import { Client } from 'pg';
import pino from 'pino';
import type { InlineProjection } from '../src/event-store';
import { PostgresEventStore } from '../src/postgres';
import { createTestDatabase } from '../src/testing/test-database';

const SERVER = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const LAG_EVENTS = Math.round(300 * SCALE);
const BASELINE = process.env.BENCH_BASELINE;

interface BenchEvent {
  type: string;
  data: { jobId: string; clientId: string; phase: string; seq: number; at: string };
}

/** What each store under test offers the workload. */
interface Target {
  name: string;
  append(stream: string, events: BenchEvent[]): Promise<void>;
  /**
   * Opens two new streams in one atomic append, with a read-model row for each in the same
   * commit (a job and its mark on a client stream); absent where the store cannot.
   */
  appendPairWithRows?(streams: [string, string], events: BenchEvent[]): Promise<void>;
  /** Reads $all from the start in pages; resolves with the count. */
  readAllPages(pageSize: number): Promise<number>;
  /** Handles every event from the start of $all; resolves with the count once caught up. */
  catchUp(batchSize: number): Promise<number>;
  /** Calls `received` for each new event until stopped. */
  follow(received: (event: BenchEvent) => void): Promise<{ stop(): Promise<void> }>;
  close(): Promise<void>;
}

interface Line {
  label: string;
  unit: string;
  /** Higher is better (throughput) or lower (latency). */
  better: 'higher' | 'lower';
}

const LINES: Line[] = [
  { label: 'append 1 event, 1 writer', unit: 'events/s', better: 'higher' },
  { label: 'append 1 event, 8 writers', unit: 'events/s', better: 'higher' },
  { label: 'append batch of 10, 1 writer', unit: 'events/s', better: 'higher' },
  { label: 'append batch of 10, 8 writers', unit: 'events/s', better: 'higher' },
  { label: 'append batch of 100, 8 writers', unit: 'events/s', better: 'higher' },
  { label: '2 streams + 2 rows atomically, 8 writers', unit: 'appends/s', better: 'higher' },
  { label: 'readAll, pages of 1,000', unit: 'events/s', better: 'higher' },
  { label: 'catch-up subscription from 0', unit: 'events/s', better: 'higher' },
  { label: 'subscription lag P50', unit: 'ms', better: 'lower' },
  { label: 'subscription lag P95', unit: 'ms', better: 'lower' },
  { label: 'subscription lag P99', unit: 'ms', better: 'lower' },
];

const notes: string[] = [];

/** Append workloads: [writers, events per append, events per round]. */
const APPENDS: [number, number, number][] = [
  [1, 1, 750],
  [8, 1, 1_500],
  [1, 10, 2_500],
  [8, 10, 5_000],
  [8, 100, 40_000],
];
const ROUNDS = 2;

/**
 * Both stores run side by side, each in its own fresh database, and every step alternates
 * between them (best of ROUNDS): this machine is shared, and its load drifts during a run.
 */
async function main(): Promise<void> {
  const databases = [];
  const targets: Target[] = [];
  try {
    const other = process.env.BENCH_OURS_ONLY ? openOurs : BASELINE ? openBaseline : openEmmett;
    for (const open of [openOurs, other]) {
      const database = await createTestDatabase(SERVER, 'es_bench');
      databases.push(database);
      targets.push(await open(database.url));
    }
    const figures = new Map<Target, number[]>(targets.map((target) => [target, []]));
    const stored = new Map<Target, number>(targets.map((target) => [target, 0]));
    const record = (target: Target, value: number) => figures.get(target)!.push(value);

    // Lag first, on a near-empty store: a follower then starts at once on either store. Best
    // of ROUNDS per percentile, alternating which store goes first.
    const lags = new Map<Target, number[]>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const target of round % 2 ? [...targets].reverse() : targets) {
        log(`${target.name}: subscription lag over ${LAG_EVENTS} events`);
        const measured = await lag(target);
        const best = lags.get(target);
        lags.set(
          target,
          best ? best.map((ms, i) => Math.min(ms, measured.lags[i])) : measured.lags,
        );
        stored.set(target, stored.get(target)! + measured.appended);
      }
    }

    for (const [writers, batch, events] of APPENDS) {
      const best = new Map<Target, number>();
      for (let round = 0; round < ROUNDS; round++) {
        for (const target of round % 2 ? [...targets].reverse() : targets) {
          const run = await appendRate(target, writers, batch, Math.round(events * SCALE));
          best.set(target, Math.max(best.get(target) ?? 0, run.perSecond));
          stored.set(target, stored.get(target)! + run.events);
        }
      }
      for (const target of targets) record(target, best.get(target)!);
    }

    const pairBest = new Map<Target, number>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const target of round % 2 ? [...targets].reverse() : targets) {
        const run = await pairRate(target, 8, Math.round(2_000 * SCALE));
        pairBest.set(target, Math.max(pairBest.get(target) ?? 0, run.perSecond));
        stored.set(target, stored.get(target)! + run.events);
      }
    }
    for (const target of targets) record(target, pairBest.get(target)!);

    // Reads stop at the oldest transaction open anywhere on the server; other work on a
    // shared server must not cut the measured reads short.
    await untilServerHorizonPasses();
    const readBest = new Map<Target, number>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const target of round % 2 ? [...targets].reverse() : targets) {
        const total = stored.get(target)!;
        log(`${target.name}: readAll of ${total} events`);
        const started = performance.now();
        const read = await target.readAllPages(1_000);
        const perSecond = total / ((performance.now() - started) / 1_000);
        readBest.set(target, Math.max(readBest.get(target) ?? 0, perSecond));
        if (read !== total && round === 0) {
          notes.push(`${target.name}: readAll returned ${read} events for ${total} stored`);
        }
      }
    }
    for (const target of targets) record(target, readBest.get(target)!);

    for (const target of targets) {
      const total = stored.get(target)!;
      log(`${target.name}: catch-up subscription over ${total} events`);
      const started = performance.now();
      const read = await target.catchUp(1_000);
      record(target, total / ((performance.now() - started) / 1_000));
      if (read !== total) {
        // Reported, not fatal: the comparison store may hand events over twice or miss some.
        notes.push(
          `${target.name}: the catch-up handler received ${read} events for ${total} stored`,
        );
      }
    }

    for (const target of targets) figures.get(target)!.push(...lags.get(target)!);
    const otherName = targets[1].name === 'emmett' ? 'emmett 0.42' : targets[1].name;
    if (BASELINE) notes.push(`baseline: the build in ${BASELINE}`);
    printTable(
      targets.map((target) => figures.get(target)!),
      otherName,
    );
    for (const target of targets)
      console.log(`${target.name}: ${stored.get(target)} events stored`);
    for (const note of notes) console.log(`note: ${note}`);
  } finally {
    for (const target of targets) await target.close();
    for (const database of databases) await database.drop();
  }
}

/** Waits until every transaction that started before this call has ended, server-wide. */
async function untilServerHorizonPasses(): Promise<void> {
  const client = new Client({ connectionString: SERVER });
  await client.connect();
  try {
    const { rows } = await client.query<{ xid: string }>(
      'SELECT pg_current_xact_id()::text AS xid',
    );
    const deadline = Date.now() + 60_000;
    for (;;) {
      const { rows: passed } = await client.query<{ ok: boolean }>(
        'SELECT pg_snapshot_xmin(pg_current_snapshot()) > $1::xid8 AS ok',
        [rows[0].xid],
      );
      if (passed[0].ok) return;
      if (Date.now() > deadline)
        throw new Error('a transaction on the server stayed open for 60 s');
      await sleep(10);
    }
  } finally {
    await client.end();
  }
}

/** `writers` concurrent loops appending batches of `batch` events to streams of their own. */
async function appendRate(
  target: Target,
  writers: number,
  batch: number,
  events: number,
): Promise<{ perSecond: number; events: number }> {
  const appendsPerWriter = Math.ceil(events / batch / writers);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async (_, writer) => {
      for (let i = 0; i < appendsPerWriter; i++) {
        await target.append(`job-${writer}-${i % 100}`, makeEvents(batch, i));
      }
    }),
  );
  const appended = appendsPerWriter * writers * batch;
  const seconds = (performance.now() - started) / 1_000;
  log(
    `${target.name}: ${appended} events, batches of ${batch}, ${writers} writer(s): ${seconds.toFixed(1)} s`,
  );
  return { perSecond: appended / seconds, events: appended };
}

/** `writers` concurrent loops, each append opening two streams with a row each. */
async function pairRate(
  target: Target,
  writers: number,
  appends: number,
): Promise<{ perSecond: number; events: number }> {
  if (!target.appendPairWithRows) return { perSecond: NaN, events: 0 };
  const perWriter = Math.ceil(appends / writers);
  const run = randomUUID().slice(0, 8);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async (_, writer) => {
      for (let i = 0; i < perWriter; i++) {
        const job = `pair-${run}-${writer}-${i}`;
        await target.appendPairWithRows!([`${job}-a`, `${job}-b`], makeEvents(1, i));
      }
    }),
  );
  const seconds = (performance.now() - started) / 1_000;
  log(
    `${target.name}: ${perWriter * writers} atomic appends of 2 streams + 2 rows: ${seconds.toFixed(1)} s`,
  );
  return { perSecond: (perWriter * writers) / seconds, events: perWriter * writers * 2 };
}

/** The read-model table of the pair workload, the same on both builds. */
const PAIR_VIEWS = `CREATE SCHEMA IF NOT EXISTS bench_views;
  CREATE TABLE IF NOT EXISTS bench_views.streams (
    stream_name text PRIMARY KEY, status text NOT NULL, body jsonb NOT NULL,
    stream_revision integer NOT NULL)`;

function pairRow(streamName: string, events: BenchEvent[], revision: number) {
  const last = events[events.length - 1];
  return {
    stream_name: streamName,
    status: last.data.phase,
    body: last.data,
    stream_revision: revision,
  };
}

const PROBE = -1;

/** Time from the start of an append to the subscriber's handler, one event every ~5 ms. */
async function lag(target: Target): Promise<{ lags: number[]; appended: number }> {
  const sentAt = new Map<number, number>();
  const lags: number[] = [];
  let done!: () => void;
  const all = new Promise<void>((resolve) => (done = resolve));
  let probed!: () => void;
  const probe = new Promise<void>((resolve) => (probed = resolve));
  const follower = await target.follow((event) => {
    if (event.data.seq === PROBE) probed();
    const sent = sentAt.get(event.data.seq);
    if (sent === undefined) return;
    lags.push(performance.now() - sent);
    if (lags.length === LAG_EVENTS) done();
  });
  // Measure only once the follower demonstrably receives new events.
  let probes = 0;
  const probing = setInterval(() => {
    probes++;
    void target.append('lag-probe', [makeEvent(PROBE)]);
  }, 200);
  const ready = await Promise.race([probe.then(() => true), giveUp(60_000).then(() => false)]);
  clearInterval(probing);
  if (!ready) throw new Error(`${target.name}: the follower received nothing in 60 s`);
  await sleep(300);
  for (let i = 0; i < LAG_EVENTS; i++) {
    const seq = 1_000_000 + i;
    sentAt.set(seq, performance.now());
    await target.append(`lag-${i % 10}`, [makeEvent(seq)]);
    await sleep(5);
  }
  await Promise.race([all, giveUp(30_000)]);
  await follower.stop();
  if (lags.length !== LAG_EVENTS)
    throw new Error(`${target.name}: ${lags.length} of ${LAG_EVENTS} events arrived`);
  lags.sort((a, b) => a - b);
  const percentiles = [0.5, 0.95, 0.99].map(
    (q) => lags[Math.min(lags.length - 1, Math.floor(q * lags.length))],
  );
  return { lags: percentiles, appended: LAG_EVENTS + probes };
}

const toNew = (events: BenchEvent[]) =>
  events.map((event) => ({ id: randomUUID(), type: event.type, data: event.data }));

async function openOurs(url: string): Promise<Target> {
  const store = await PostgresEventStore.connect({
    connectionString: url,
    schema: 'bench',
    poolMax: 10,
    logger: pino({ level: 'warn' }),
  });
  await createPairViews(url);
  const project: InlineProjection<BenchEvent[]> = ({ streamName, revision, stateAfter }) => {
    const { stream_name, stream_revision, ...values } = pairRow(streamName, stateAfter, revision);
    return [
      { table: 'bench_views.streams', key: { stream_name }, values, revision: stream_revision },
    ];
  };
  return {
    ...storeTarget('opcfleet', store),
    appendPairWithRows: async (streams, events) => {
      await store.appendToStreams(
        streams.map((streamName) => ({
          streamName,
          events: toNew(events),
          expectedRevision: 'no_stream' as const,
          stateAfter: events,
        })),
        { project },
      );
    },
  };
}

/**
 * Another build of this store (BENCH_BASELINE), with its multi-stream API of the time: before
 * the port had one, the service passed its rows as SQL (appendToStreamsAtomically with a
 * dependent write), which is what this does.
 */
async function openBaseline(url: string): Promise<Target> {
  const { PostgresEventStore: Baseline } = createRequire(__filename)(BASELINE!) as {
    PostgresEventStore: typeof PostgresEventStore;
  };
  const store = await Baseline.connect({
    connectionString: url,
    schema: 'bench',
    poolMax: 10,
    logger: pino({ level: 'warn' }),
  });
  await createPairViews(url);
  const legacy = store as unknown as {
    appendToStreamsAtomically(
      appends: { streamName: string; events: unknown[]; expectedRevision: 'no_stream' }[],
      writes: { sql: (param: (n: number) => string) => string; params: unknown[] }[],
    ): Promise<unknown>;
  };
  return {
    ...storeTarget('baseline', store),
    appendPairWithRows: async (streams, events) => {
      const rows = streams.map((streamName) => pairRow(streamName, events, events.length - 1));
      await legacy.appendToStreamsAtomically(
        streams.map((streamName) => ({
          streamName,
          events: toNew(events),
          expectedRevision: 'no_stream',
        })),
        [
          {
            sql: (
              param,
            ) => `INSERT INTO bench_views.streams (stream_name, status, body, stream_revision)
              SELECT r.stream_name, r.status, r.body, r.stream_revision
                FROM jsonb_to_recordset(${param(1)}::jsonb)
                     AS r(stream_name text, status text, body jsonb, stream_revision int)
                JOIN appended a ON a.stream_name = r.stream_name AND a.outcome = 'appended'
               ORDER BY r.stream_name
              ON CONFLICT (stream_name) DO UPDATE SET status = EXCLUDED.status,
                body = EXCLUDED.body, stream_revision = EXCLUDED.stream_revision
              WHERE bench_views.streams.stream_revision < EXCLUDED.stream_revision`,
            params: [JSON.stringify(rows)],
          },
        ],
      );
    },
  };
}

async function createPairViews(url: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(PAIR_VIEWS);
  } finally {
    await client.end();
  }
}

/** The workload every build of this store runs the same way. */
function storeTarget(name: string, store: PostgresEventStore): Target {
  return {
    name,
    append: async (stream, events) => void (await store.appendToStream(stream, toNew(events))),
    readAllPages: async (pageSize) => {
      let count = 0;
      let after: string | undefined;
      for (;;) {
        const page = await store.readAll({ after, maxCount: pageSize });
        count += page.events.length;
        if (page.events.length < pageSize) return count;
        after = page.next;
      }
    },
    catchUp: async (batchSize) => {
      let count = 0;
      const subscription = store.subscribe(
        { name: `catch-up-${randomUUID()}`, batchSize },
        async (batch) => {
          count += batch.events.length;
        },
      );
      await subscription.caughtUp();
      await subscription.stop();
      return count;
    },
    follow: async (received) => {
      const subscription = store.subscribe(
        { name: `follow-${randomUUID()}`, batchSize: 100 },
        async (batch) => {
          for (const event of batch.events) received(event as unknown as BenchEvent);
        },
      );
      await subscription.caughtUp();
      return subscription;
    },
    close: () => store.close(),
  };
}

async function openEmmett(url: string): Promise<Target> {
  const store = getPostgreSQLEventStore(url);
  await store.schema.migrate();
  // Emmett's own SQL executor, loaded the way Emmett loads it, for its readMessagesBatch.
  const { dumbo } = createRequire(require.resolve('@event-driven-io/emmett-postgresql'))(
    '@event-driven-io/dumbo',
  ) as { dumbo: (options: { connectionString: string }) => EmmettPool };
  const pool = dumbo({ connectionString: url });
  return {
    name: 'emmett',
    readAllPages: async (pageSize) => {
      let count = 0;
      let after = 0n;
      for (;;) {
        const page = await readMessagesBatch(pool.execute, { after, batchSize: pageSize });
        count += page.messages.length;
        if (!page.areMessagesLeft) return count;
        after = page.currentGlobalPosition;
      }
    },
    append: async (stream, events) => void (await store.appendToStream(stream, events)),
    catchUp: async (batchSize) => {
      let count = 0;
      const consumer = store.consumer({
        pulling: { batchSize },
        stopWhen: { noMessagesLeft: true },
      });
      consumer.reactor({
        processorId: `catch-up-${randomUUID()}`,
        startFrom: 'BEGINNING',
        // eachBatch is typed but never called by Emmett 0.42's reactor.
        eachMessage: async () => {
          count++;
        },
      });
      await consumer.start();
      // stop, not close: close() ends the pool the consumer shares with the store.
      await consumer.stop();
      return count;
    },
    follow: async (received) => {
      const consumer = store.consumer({ pulling: { batchSize: 100 } });
      consumer.reactor({
        processorId: `follow-${randomUUID()}`,
        startFrom: 'END',
        eachMessage: async (message) => {
          received(message as unknown as BenchEvent);
        },
      });
      const running = consumer
        .start()
        .catch((error: unknown) => log(`emmett consumer: ${String(error)}`));
      return {
        stop: async () => {
          await consumer.stop();
          await running;
        },
      };
    },
    close: async () => {
      await pool.close();
      await store.close();
    },
  };
}

interface EmmettPool {
  execute: Parameters<typeof readMessagesBatch>[0];
  close(): Promise<void>;
}

function makeEvents(count: number, seq: number): BenchEvent[] {
  return Array.from({ length: count }, (_, i) => makeEvent(seq * 1_000 + i));
}

function makeEvent(seq: number): BenchEvent {
  return {
    type: 'UpdatePhaseReported',
    data: {
      jobId: '6f1c2a94-5f7e-4f0e-9a54-3f2d8d1c7b10',
      clientId: 'opc-core-0042',
      phase: 'pulling',
      seq,
      at: new Date().toISOString(),
    },
  };
}

function printTable([ours, other]: number[][], otherName: string): void {
  const rows = LINES.map((line, i) => {
    const ratio = line.better === 'higher' ? ours[i] / other[i] : other[i] / ours[i];
    const shown = Number.isNaN(ratio) ? 'n/a' : `${ratio.toFixed(2)}x`;
    return [line.label, line.unit, format(ours[i]), format(other[i]), shown];
  });
  const header = ['workload', 'unit', 'opcfleet', otherName, 'opcfleet advantage'];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) =>
    `| ${cells.map((cell, c) => cell.padEnd(widths[c])).join(' | ')} |`;
  console.log(
    `\nEvent store benchmark (${new Date().toISOString()}, ${SERVER.replace(/\/\/[^@]*@/, '//')})`,
  );
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of rows) console.log(line(row));
  console.log(
    `best of ${ROUNDS} alternating rounds (catch-up: one run each); advantage: ` +
      `throughput ours/${otherName}, latency ${otherName}/ours; above 1.00x = opcfleet better`,
  );
}

function format(value: number): string {
  if (Number.isNaN(value)) return 'n/a';
  return value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(2);
}

/** A deadline that does not keep the process alive once the work is done. */
function giveUp(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const benchStarted = performance.now();

function log(message: string): void {
  const seconds = ((performance.now() - benchStarted) / 1_000).toFixed(1);
  console.error(`[bench +${seconds}s] ${message}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
