import {
  DuplicateEventIdsError,
  InvalidEventStoreInputError,
  WrongExpectedRevisionError,
  type AppendedStream,
  type InlineProjection,
  type ProjectedRow,
} from '../event-store';
import {
  OWNERS,
  events,
  projectStatus,
  rowAhead,
  typed,
  viewsOf,
  type ContractContext,
  type Status,
} from './contract-support';

/** The contract of `appendToStreams`: several streams, all or nothing, inline projections. */
export function describeMultiStreamAppend(context: () => ContractContext): void {
  const store = () => context().store;
  const name = (suffix: string) => `${context().prefix}${suffix}`;
  const views = (...streams: string[]) => viewsOf(context().readModel, streams);

  describe('appendToStreams: several streams, all or nothing', () => {
    it('appends to every stream and answers in the order asked, locking in its own', async () => {
      const [b, a] = [name('b'), name('a')];
      await store().appendToStream(a, events(1));
      const [forB, forA] = [events(2), events(1)];

      const results = await store().appendToStreams([
        { streamName: b, events: forB, expectedRevision: 'no_stream' },
        { streamName: a, events: forA, expectedRevision: 0 },
      ]);

      expect(results).toEqual([
        {
          streamName: b,
          outcome: 'appended',
          nextExpectedRevision: 1,
          position: expect.any(String),
        },
        {
          streamName: a,
          outcome: 'appended',
          nextExpectedRevision: 1,
          position: expect.any(String),
        },
      ]);
      const read = await store().readStreams([a, b, name('missing')]);
      expect(read.get(b)!.map((e) => [e.id, e.revision])).toEqual(forB.map((e, i) => [e.id, i]));
      expect(read.get(a)!.map((e) => e.revision)).toEqual([0, 1]);
      expect(read.get(a)![1].id).toBe(forA[0].id);
      expect(read.has(name('missing'))).toBe(false);
      expect(await store().appendToStreams([])).toEqual([]);
    });

    it('writes nothing when one stream moved, naming every stream that moved', async () => {
      const [moved, alsoMoved, fresh] = [name('moved'), name('also-moved'), name('fresh')];
      await store().appendToStream(moved, events(2));
      await store().appendToStream(alsoMoved, events(1));

      const error = await store()
        .appendToStreams(
          [
            {
              streamName: fresh,
              events: typed('Opened'),
              expectedRevision: 'no_stream',
              stateAfter: { status: 'Opened', count: 1 },
            },
            { streamName: alsoMoved, events: events(1), expectedRevision: 'no_stream' },
            { streamName: moved, events: events(1), expectedRevision: 0 },
          ],
          { project: projectStatus as InlineProjection },
        )
        .catch((e: unknown) => e);

      expect(error).toBeInstanceOf(WrongExpectedRevisionError);
      const { streamName, conflicts } = error as WrongExpectedRevisionError;
      expect([moved, alsoMoved]).toContain(streamName);
      expect([...conflicts].sort((x, y) => x.streamName.localeCompare(y.streamName))).toEqual([
        { streamName: alsoMoved, expected: 'no_stream', actual: 0 },
        { streamName: moved, expected: 0, actual: 1 },
      ]);
      expect(await store().readStream(fresh)).toEqual([]);
      expect(await store().readStream(moved)).toHaveLength(2);
      expect(await store().readStream(alsoMoved)).toHaveLength(1);
      expect((await views(fresh)).size).toBe(0);
    });

    it('writes nothing when some ids are stored but not as this append', async () => {
      const [stored, other] = [name('stored'), name('other')];
      const storedEvents = events(2);
      await store().appendToStream(stored, storedEvents);

      const overlapping = store().appendToStreams([
        { streamName: other, events: events(1), expectedRevision: 'no_stream' },
        { streamName: stored, events: [storedEvents[1], ...events(1)], expectedRevision: 1 },
      ]);

      await expect(overlapping).rejects.toBeInstanceOf(DuplicateEventIdsError);
      await expect(overlapping).rejects.toMatchObject({ streamName: stored });
      expect(await store().readStream(other)).toEqual([]);
      expect(await store().readStream(stored)).toHaveLength(2);
    });

    it('answers duplicate for a retried stream and writes nothing for it, rows included', async () => {
      const [a, b, c] = [name('a'), name('b'), name('c')];
      const first = [
        {
          streamName: a,
          events: typed('Opened'),
          expectedRevision: 'no_stream' as const,
          stateAfter: { status: 'Opened', count: 1 },
        },
        {
          streamName: b,
          events: typed('Opened', 'Started'),
          expectedRevision: 'no_stream' as const,
          stateAfter: { status: 'Started', count: 2 },
        },
      ];
      const answer = await store().appendToStreams(first, { project: projectStatus });
      // Meanwhile a rebuild emptied the read model: a row would be written if the retry
      // projected anything.
      await context().readModel(`DELETE FROM contract_views.streams WHERE stream_name = $1`, [a]);

      // The answer was lost; the caller tries again (telling its state differently), with a
      // new stream besides.
      const retry = await store().appendToStreams(
        [
          { ...first[0], stateAfter: { status: 'Tampered', count: 99 } },
          {
            streamName: c,
            events: typed('Opened'),
            expectedRevision: 'no_stream',
            stateAfter: { status: 'Opened', count: 1 },
          },
        ],
        { project: projectStatus },
      );

      expect(retry[0]).toEqual({ ...answer[0], outcome: 'duplicate' });
      expect(retry[1]).toMatchObject({ streamName: c, outcome: 'appended' });
      expect(await store().readStream(a)).toHaveLength(1);
      const rows = await views(a, b, c);
      expect(rows.has(a)).toBe(false);
      expect(rows.get(b)).toMatchObject({ status: 'Started', stream_revision: 1 });
      expect(rows.get(c)).toMatchObject({ status: 'Opened', stream_revision: 0 });

      // Also once the stream has moved on: its row stays where the stream is.
      await store().appendToStreams(
        [
          {
            streamName: a,
            events: typed('Closed'),
            expectedRevision: 0,
            stateAfter: { status: 'Closed', count: 2 },
          },
        ],
        { project: projectStatus },
      );
      const late = await store().appendToStreams([first[0]], { project: projectStatus });
      expect(late).toEqual([answer[0]].map((result) => ({ ...result, outcome: 'duplicate' })));
      expect((await views(a)).get(a)).toMatchObject({ status: 'Closed', stream_revision: 1 });
    });

    it('refuses a stream named twice, writing nothing', async () => {
      const a = name('a');
      await expect(
        store().appendToStreams([
          { streamName: a, events: events(1), expectedRevision: 'any' },
          { streamName: a, events: events(1), expectedRevision: 'any' },
        ]),
      ).rejects.toBeInstanceOf(InvalidEventStoreInputError);
      expect(await store().readStream(a)).toEqual([]);
    });

    it('lets one of racing appends win and never deadlocks on streams named in other orders', async () => {
      const [a, b] = [name('a'), name('b')];
      await store().appendToStream(a, events(1));
      await store().appendToStream(b, events(1));

      const outcomes = await Promise.allSettled(
        Array.from({ length: 6 }, (_, i) => {
          const both = [
            { streamName: a, events: events(1), expectedRevision: 0 },
            { streamName: b, events: events(1), expectedRevision: 0 },
          ];
          return store().appendToStreams(i % 2 ? both : both.reverse());
        }),
      );

      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      for (const outcome of outcomes.filter((o) => o.status === 'rejected')) {
        expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(
          WrongExpectedRevisionError,
        );
      }
      expect(await store().readStream(a)).toHaveLength(2);
      expect(await store().readStream(b)).toHaveLength(2);
    });
  });

  describe('appendToStreams: inline projections', () => {
    it('writes the rows of the state after the events in their commit (read-your-writes)', async () => {
      const [a, unprojected] = [name('a'), name('unprojected')];
      const opening = typed('Opened', 'Started');
      const seen: AppendedStream<Status>[] = [];
      const project: InlineProjection<Status> = (appended) => {
        seen.push(appended);
        return projectStatus(appended);
      };

      await store().appendToStreams(
        [
          {
            streamName: a,
            events: opening,
            expectedRevision: 'no_stream',
            stateAfter: { status: 'Started', count: 2 },
          },
          // No state told: not projected inline (a catch-up projection will).
          { streamName: unprojected, events: events(1), expectedRevision: 'any' },
        ],
        { project },
      );

      expect(seen).toEqual([
        {
          streamName: a,
          revision: 1,
          stateAfter: { status: 'Started', count: 2 },
          events: opening.map((event, revision) => ({ ...event, streamName: a, revision })),
        },
      ]);
      expect((await views(a)).get(a)).toEqual({
        stream_name: a,
        status: 'Started',
        event_count: 2,
        body: { last: 'Started', nested: { types: ['Opened', 'Started'] } },
        tags: ['Opened', 'Started'],
        stream_revision: 1,
      });
      expect((await views(unprojected)).size).toBe(0);

      await store().appendToStreams(
        [
          {
            streamName: a,
            events: typed('Closed'),
            expectedRevision: 1,
            stateAfter: { status: 'Closed', count: 3 },
          },
        ],
        { project },
      );
      expect((await views(a)).get(a)).toMatchObject({
        status: 'Closed',
        event_count: 3,
        stream_revision: 2,
      });
    });

    it('never takes a row back to an older revision', async () => {
      const a = name('a');
      await rowAhead(context().readModel, a);

      await store().appendToStreams(
        [
          {
            streamName: a,
            events: typed('Opened', 'Started'),
            expectedRevision: 'no_stream',
            stateAfter: { status: 'Started', count: 2 },
          },
        ],
        { project: projectStatus },
      );

      expect(await store().readStream(a)).toHaveLength(2);
      expect((await views(a)).get(a)).toMatchObject({ status: 'Ahead', stream_revision: 5 });
    });

    it('needs an exact expected revision to project, and then writes nothing', async () => {
      const a = name('a');
      await store().appendToStream(a, events(1));
      for (const expectedRevision of ['any', 'stream_exists'] as const) {
        await expect(
          store().appendToStreams(
            [
              {
                streamName: a,
                events: typed('Closed'),
                expectedRevision,
                stateAfter: { status: 'Closed', count: 2 },
              },
            ],
            { project: projectStatus },
          ),
        ).rejects.toBeInstanceOf(InvalidEventStoreInputError);
      }
      expect(await store().readStream(a)).toHaveLength(1);
      expect((await views(a)).size).toBe(0);
    });

    it('refuses rows naming no plain table or column, or writing one key twice, and appends nothing', async () => {
      const [a, b] = [name('a'), name('b')];
      const append = (rows: ProjectedRow[]) =>
        store().appendToStreams(
          [
            { streamName: a, events: events(1), expectedRevision: 'no_stream', stateAfter: 1 },
            { streamName: b, events: events(1), expectedRevision: 'no_stream', stateAfter: 2 },
          ],
          { project: ({ stateAfter }) => (stateAfter === 1 ? rows : []) },
        );
      const row = (change: Partial<ProjectedRow>): ProjectedRow =>
        ({
          table: 'contract_views.streams',
          key: { stream_name: a },
          values: { status: 'x', event_count: 1 },
          revision: 0,
          ...change,
        }) as ProjectedRow;

      const refused: ProjectedRow[][] = [
        [row({ table: 'contract_views.streams; DROP TABLE contract_views.owners' })],
        [row({ table: 'a.b.c' })],
        [row({ values: { 'status" = 1; --': 'x' } })],
        [row({ key: { 'stream_name"': a } })],
        [row({ key: { stream_name: null } })],
        [row({ key: {} })],
        [row({ values: { stream_revision: 1 } })],
        [row({ revision: -1 })],
        [row({ revision: 1.5 })],
        [row({ op: 'truncate' } as unknown as Partial<ProjectedRow>)],
        [row({}), row({ values: { status: 'y', event_count: 2 } })],
        [row({}), row({ op: 'delete' } as Partial<ProjectedRow>)],
        [row({}), row({ key: { stream_name: b }, values: { status: 'y' } })],
        [row({ monotonic: ['absent'] } as Partial<ProjectedRow>)],
      ];
      for (const rows of refused) {
        await expect(append(rows)).rejects.toBeInstanceOf(InvalidEventStoreInputError);
      }
      expect(await store().readStreams([a, b])).toEqual(new Map());
      expect((await views(a, b)).size).toBe(0);
    });

    it('deletes a row when its stream says so, not when the row is ahead', async () => {
      const [closing, ahead] = [name('closing'), name('ahead')];
      const project: InlineProjection<Status> = (appended) =>
        appended.stateAfter.status === 'Deleted'
          ? [
              {
                op: 'delete',
                table: 'contract_views.streams',
                key: { stream_name: appended.streamName },
                revision: appended.revision,
              },
            ]
          : projectStatus(appended);
      await store().appendToStreams(
        [
          {
            streamName: closing,
            events: typed('Opened'),
            expectedRevision: 'no_stream',
            stateAfter: { status: 'Opened', count: 1 },
          },
        ],
        { project },
      );
      expect((await views(closing)).size).toBe(1);
      await rowAhead(context().readModel, ahead);

      await store().appendToStreams(
        [
          {
            streamName: closing,
            events: typed('Deleted'),
            expectedRevision: 0,
            stateAfter: { status: 'Deleted', count: 2 },
          },
          {
            streamName: ahead,
            events: typed('Deleted'),
            expectedRevision: 'no_stream',
            stateAfter: { status: 'Deleted', count: 1 },
          },
        ],
        { project },
      );

      const rows = await views(closing, ahead);
      expect(rows.has(closing)).toBe(false);
      expect(rows.get(ahead)).toMatchObject({ status: 'Ahead', stream_revision: 5 });
    });

    it('moves a row that several streams advance forward only, merged with its own upsert', async () => {
      const tenant = context().prefix;
      type OwnerState = { kind: 'owner'; owner: string; name: string };
      type JobState = { kind: 'job'; owner: string; at: string };
      const project: InlineProjection<OwnerState | JobState> = ({ stateAfter, revision }) =>
        stateAfter.kind === 'owner'
          ? [
              {
                table: OWNERS,
                key: { tenant, owner: stateAfter.owner },
                values: { name: stateAfter.name, last_seen_at: null },
                monotonic: ['last_seen_at'],
                revision,
              },
            ]
          : [
              {
                op: 'advance',
                table: OWNERS,
                key: { tenant, owner: stateAfter.owner },
                values: { last_seen_at: stateAfter.at },
              },
            ];
      const owner = (id: string, ownerName: string, expectedRevision: 'no_stream' | number) => ({
        streamName: name(`owner-${id}`),
        events: typed('Named'),
        expectedRevision,
        stateAfter: { kind: 'owner' as const, owner: id, name: ownerName },
      });
      const job = (id: string, ownerId: string, at: string) => ({
        streamName: name(`job-${id}`),
        events: typed('Reported'),
        expectedRevision: 'no_stream' as const,
        stateAfter: { kind: 'job' as const, owner: ownerId, at },
      });
      const seen = async () =>
        new Map(
          (
            await context().readModel(
              `SELECT owner, name, last_seen_at FROM ${OWNERS} WHERE tenant = $1`,
              [tenant],
            )
          ).map((row) => [
            row.owner,
            [row.name, (row.last_seen_at as Date | null)?.toISOString() ?? null],
          ]),
        );
      const [t0, t1, t2, t3] = [0, 1, 2, 3].map((h) =>
        new Date(Date.UTC(2026, 0, 1, h)).toISOString(),
      );

      await store().appendToStreams(
        [owner('o1', 'one', 'no_stream'), owner('o2', 'two', 'no_stream')],
        { project },
      );
      await store().appendToStreams(
        [job('j1', 'o1', t2), job('j2', 'o1', t1), job('j3', 'o2', t1), job('j4', 'o9', t1)],
        { project },
      );
      expect(await seen()).toEqual(
        new Map([
          ['o1', ['one', t2]],
          ['o2', ['two', t1]],
        ]),
      );

      await store().appendToStreams([job('j5', 'o1', t0)], { project });
      expect((await seen()).get('o1')).toEqual(['one', t2]);

      // The owner's own row and a job's advance of it, in one append.
      await store().appendToStreams([owner('o1', 'renamed', 0), job('j6', 'o1', t3)], { project });
      expect((await seen()).get('o1')).toEqual(['renamed', t3]);
      await store().appendToStreams([owner('o2', 'renamed', 0), job('j7', 'o2', t0)], { project });
      expect((await seen()).get('o2')).toEqual(['renamed', t1]);
    });
  });
}
