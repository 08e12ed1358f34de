import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Pool } from 'pg';
import pino from 'pino';
import { WrongExpectedRevisionError, type NewEvent } from '@opcfleet/event-store';
import { startEmbeddedPostgres } from '@opcfleet/event-store/pglite';
import {
  PostgresEventStore,
  pendingMigrations,
  runMigrations,
  type Migration,
} from '@opcfleet/event-store/postgres';
import { createTestDatabase } from '@opcfleet/event-store/testing';
import { eventStoreMigrations } from '../src/postgres/migrations/event-store-migrations';
import { appendThroughFunction } from './support/append-function';

jest.setTimeout(120_000);

const silent = pino({ level: 'silent' });

/** A database of each kind the store runs on, fresh for each test. */
const databases: [string, () => Promise<{ url: string; drop(): Promise<void> }>][] = [
  ['PostgreSQL', () => createTestDatabase()],
  [
    'PGlite',
    async () => {
      const embedded = await startEmbeddedPostgres();
      return { url: embedded.url, drop: () => embedded.stop() };
    },
  ],
];

describe('the event store’s migration 1', () => {
  it('keeps migration 1 as exactly what the previous release ran at every start', () => {
    const previous = readFileSync(
      join(__dirname, 'fixtures/schema-before-numbered-migrations.sql'),
      'utf8',
    );
    const [first] = eventStoreMigrations('es_legacy');
    // The previous release took the lock in the same SQL; the runner takes it now.
    expect(previous.split('\n').slice(2).join('\n')).toBe(
      `\nSELECT pg_advisory_xact_lock(hashtext('opcfleet-event-store:es_legacy'));${first.sql}`,
    );
  });
});

describe.each(databases)('event store schema migrations on %s', (_kind, createDatabase) => {
  let database: { url: string; drop(): Promise<void> };
  let sql: Client;

  beforeEach(async () => {
    database = await createDatabase();
    sql = new Client({ connectionString: database.url });
    await sql.connect();
  });
  afterEach(async () => {
    await sql.end();
    await database.drop();
  });

  it('upgrades a store created by the code before numbered migrations, and reads it back unchanged', async () => {
    // The store as the previous release left it: its schema SQL, events written by its
    // append function, a checkpoint and stream metadata.
    await sql.query(
      readFileSync(join(__dirname, 'fixtures/schema-before-numbered-migrations.sql'), 'utf8'),
    );
    const written = new Map<string, NewEvent[]>([
      [`job-${randomUUID()}`, events(3)],
      [`client-${randomUUID()}`, events(2)],
    ]);
    for (const [stream, streamEvents] of written) {
      await appendThroughFunction(sql, 'es_legacy', stream, streamEvents);
    }
    const [clientStream] = [...written.keys()].slice(1);
    await sql.query(
      `INSERT INTO es_legacy.checkpoints (name, checkpoint) VALUES ('projection', '7:3')`,
    );
    await sql.query(
      `INSERT INTO es_legacy.stream_metadata (stream_name, metadata) VALUES ($1, '{"maxCount": 5}')`,
      [clientStream],
    );
    const before = (
      await sql.query(
        `SELECT transaction_id::text, global_position::text, event_id, stream_name, stream_revision::int,
                type, data, metadata, recorded_at
           FROM es_legacy.events ORDER BY transaction_id, global_position`,
      )
    ).rows;

    const store = await PostgresEventStore.connect({
      connectionString: database.url,
      schema: 'es_legacy',
      poolMax: 2,
      logger: silent,
    });
    try {
      const recorded = await sql.query(
        'SELECT version, name FROM es_legacy.schema_migrations ORDER BY version',
      );
      expect(recorded.rows.map((row) => row.version)).toEqual([1, 2, 3, 4, 5]);

      const all = (await store.readAll()).events;
      expect(
        all.map((event) => [
          event.position,
          event.id,
          event.streamName,
          event.revision,
          event.type,
          event.data,
          event.metadata,
          event.recordedAt.toISOString(),
        ]),
      ).toEqual(
        before.map((row) => [
          `${row.transaction_id}:${row.global_position}`,
          row.event_id,
          row.stream_name,
          row.stream_revision,
          row.type,
          row.data,
          row.metadata,
          (row.recorded_at as Date).toISOString(),
        ]),
      );
      for (const [stream, streamEvents] of written) {
        const read = await store.readStream(stream);
        expect(read.map(({ id, type, data, metadata }) => ({ id, type, data, metadata }))).toEqual(
          streamEvents,
        );
      }
      expect(await store.checkpointer().load('projection')).toBe('7:3');
      expect(await store.getStreamMetadata(clientStream)).toEqual({ maxCount: 5 });

      // What the new migration brought works on the old data: every moved stream is named.
      const error = await store
        .appendToStreams(
          [...written.keys()].map((stream) => ({
            streamName: stream,
            events: events(1),
            expectedRevision: 0,
          })),
        )
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WrongExpectedRevisionError);
      expect((error as WrongExpectedRevisionError).conflicts).toHaveLength(2);
      // queryEvents, over the indexes of migration 3, finds the old events newest first.
      const newestFirst = await store.queryEvents({ direction: 'backwards', maxCount: 10_000 });
      expect(newestFirst.events.map((event) => event.id)).toEqual(
        [...all].reverse().map((event) => event.id),
      );
    } finally {
      await store.close();
    }
  });

  it('runs only when asked, when connecting is told not to migrate', async () => {
    const options = { connectionString: database.url, schema: 'es', logger: silent, poolMax: 2 };
    await expect(PostgresEventStore.connect({ ...options, migrate: false })).rejects.toThrow(
      /lacks migration\(s\) 1 .*2 .*run PostgresEventStore.migrate first/,
    );

    const report = await PostgresEventStore.migrate(options);
    expect(report).toEqual({
      applied: [
        { version: 1, name: expect.any(String) },
        { version: 2, name: expect.any(String) },
        { version: 3, name: expect.any(String) },
        { version: 4, name: expect.any(String) },
        { version: 5, name: expect.any(String) },
      ],
      version: 5,
      unknown: [],
    });
    expect((await PostgresEventStore.migrate(options)).applied).toEqual([]);
    const store = await PostgresEventStore.connect({ ...options, migrate: false });
    await store.appendToStream('kept', events(1));
    await store.close();
  });
});

describe('runMigrations, for a caller’s own tables (PostgreSQL)', () => {
  let database: { url: string; drop(): Promise<void> };
  let pool: Pool;

  beforeAll(async () => {
    database = await createTestDatabase();
    pool = new Pool({ connectionString: database.url, max: 4 });
  });
  afterAll(async () => {
    await pool.end();
    await database.drop();
  });

  /** Migrations of schema `schema` that also log each run, to count how often one ran. */
  function numbered(schema: string): Migration[] {
    return [
      {
        version: 1,
        name: 'views',
        sql: `CREATE TABLE ${schema}.views (id text PRIMARY KEY);
              CREATE TABLE ${schema}.runs (version int NOT NULL);
              INSERT INTO ${schema}.runs VALUES (1)`,
      },
      {
        version: 2,
        name: 'views get a status',
        sql: `ALTER TABLE ${schema}.views ADD COLUMN status text NOT NULL DEFAULT 'new';
              INSERT INTO ${schema}.runs VALUES (2)`,
      },
      {
        version: 5,
        name: 'seed, as code',
        up: async (query) => {
          await query(`INSERT INTO ${schema}.views (id) VALUES ($1)`, ['seeded']);
          await query(`INSERT INTO ${schema}.runs VALUES (5)`);
        },
      },
    ];
  }

  const runs = async (schema: string) =>
    (await pool.query(`SELECT version FROM ${schema}.runs ORDER BY version`)).rows.map(
      (row) => row.version,
    );

  it('applies each migration once, in order, and records it', async () => {
    const schema = freshSchema();
    const first = await runMigrations({ pool, schema, migrations: numbered(schema) });
    expect(first).toEqual({
      applied: [
        { version: 1, name: 'views' },
        { version: 2, name: 'views get a status' },
        { version: 5, name: 'seed, as code' },
      ],
      version: 5,
      unknown: [],
    });
    const again = await runMigrations({
      connectionString: database.url,
      schema,
      migrations: numbered(schema),
    });
    expect(again).toEqual({ applied: [], version: 5, unknown: [] });
    expect(await runs(schema)).toEqual([1, 2, 5]);
    const recorded = await pool.query(
      `SELECT version, name, applied_at FROM ${schema}.schema_migrations ORDER BY version`,
    );
    expect(recorded.rows.map((row) => [row.version, row.name])).toEqual([
      [1, 'views'],
      [2, 'views get a status'],
      [5, 'seed, as code'],
    ]);
    expect(recorded.rows[0].applied_at).toBeInstanceOf(Date);
  });

  it('lets runners started together apply each migration exactly once', async () => {
    const schema = freshSchema();
    const reports = await Promise.all(
      Array.from({ length: 4 }, () =>
        runMigrations({ connectionString: database.url, schema, migrations: numbered(schema) }),
      ),
    );
    expect(await runs(schema)).toEqual([1, 2, 5]);
    expect(reports.flatMap((report) => report.applied.map((m) => m.version)).sort()).toEqual([
      1, 2, 5,
    ]);
  });

  it('rolls a failing migration back with its record, keeps the ones before, and goes on once fixed', async () => {
    const schema = freshSchema();
    const [one, two, five] = numbered(schema);
    const broken = { ...two, sql: `${two.sql}; INSERT INTO ${schema}.views (id) VALUES (NULL)` };

    await expect(runMigrations({ pool, schema, migrations: [one, broken, five] })).rejects.toThrow(
      /migration 2 \(views get a status\) failed: .*null value/,
    );

    expect(await runs(schema)).toEqual([1]);
    const columns = await pool.query(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'views'`,
      [schema],
    );
    expect(columns.rows.map((row) => row.column_name)).toEqual(['id']);
    expect(
      (await pendingMigrations({ pool, schema, migrations: [one, two, five] })).map(
        (m) => m.version,
      ),
    ).toEqual([2, 5]);

    await runMigrations({ pool, schema, migrations: [one, two, five] });
    expect(await runs(schema)).toEqual([1, 2, 5]);
  });

  it('refuses a list out of order, a migration both or neither SQL and code, and a renumbered one', async () => {
    const schema = freshSchema();
    const [one, two] = numbered(schema);
    const refused = [
      [two, one],
      [one, { ...two, version: 1 }],
      [{ ...one, version: 0 }],
      [{ ...one, up: async () => undefined }],
      [{ version: 1, name: 'nothing' }],
      [{ ...one, name: '' }],
    ];
    for (const migrations of refused) {
      await expect(runMigrations({ pool, schema, migrations })).rejects.toThrow(/migration/);
    }
    expect(
      (await pool.query(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [schema])).rowCount,
    ).toBe(0);

    await runMigrations({ pool, schema, migrations: [one] });
    await expect(
      runMigrations({ pool, schema, migrations: [{ ...one, name: 'something else' }, two] }),
    ).rejects.toThrow(
      /migration 1 is recorded as "views", but this code calls it "something else"/,
    );
    expect(await runs(schema)).toEqual([1]);
  });

  it('reports versions a newer release recorded, and runs on', async () => {
    const schema = freshSchema();
    await runMigrations({ pool, schema, migrations: numbered(schema) });
    const older = numbered(schema).slice(0, 2);
    expect(await runMigrations({ pool, schema, migrations: older })).toEqual({
      applied: [],
      version: 5,
      unknown: [5],
    });
  });
});

const freshSchema = () => `m_${randomUUID().replace(/-/g, '').slice(0, 12)}`;

function events(count: number): NewEvent[] {
  return Array.from({ length: count }, (_, i) => ({
    id: randomUUID(),
    type: 'Tested',
    data: { i, nested: { list: [1, 'two', null] } },
    metadata: { actor: 'user:alice', correlationId: `c-${i}` },
  }));
}
