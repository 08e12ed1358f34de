import { randomUUID } from 'node:crypto';
import {
  InvalidEventStoreInputError,
  type EventQuery,
  type NewEvent,
  type RecordedEvent,
} from '../event-store';
import { waitFor, type ContractContext } from './contract-support';

/** The contract of `queryEvents`: a search over every stream's events, a page at a time. */
export function describeEventQuery(context: () => ContractContext): void {
  const store = () => context().store;
  const name = (suffix: string) => `${context().prefix}${suffix}`;
  /** Unique per test: the suite's other events never carry it. */
  const tenant = () => `${context().prefix}tenant`;

  function event(type: string, metadata: Record<string, string> = {}): NewEvent {
    return {
      id: randomUUID(),
      type,
      data: { type },
      metadata: { tenantId: tenant(), ...metadata },
    };
  }

  /** Every page of a query, in order, once `count` events of the tenant are visible. */
  async function allPages(query: Omit<EventQuery, 'maxCount'>, maxCount = 1_000) {
    const pages: RecordedEvent[][] = [];
    let after: string | undefined;
    do {
      const page = await store().queryEvents({ ...query, maxCount, after });
      pages.push(page.events);
      after = page.next;
    } while (after !== undefined);
    return pages;
  }
  const found = async (query: Omit<EventQuery, 'maxCount'>) =>
    (await allPages(query)).flat().map((e) => e.data as { type: string });
  const types = async (query: Omit<EventQuery, 'maxCount'>) =>
    (await found(query)).map((data) => data.type);

  /** A commit is seen once every older transaction of the server has ended (like readAll). */
  async function untilVisible(count: number): Promise<void> {
    await waitFor(
      async () =>
        (await store().queryEvents({ tenantId: tenant(), maxCount: 10_000 })).events.length >=
        count,
    );
  }

  describe('queryEvents: searching every stream', () => {
    it('finds a tenant’s events in commit order or newest first, and no other tenant’s', async () => {
      await store().appendToStream(name('a'), [event('A1'), event('A2')]);
      await store().appendToStream(name('other'), [
        { ...event('Foreign'), metadata: { tenantId: `${tenant()}-2` } },
      ]);
      await store().appendToStream(name('b'), [event('B1')]);
      await store().appendToStream(name('a'), [event('A3')]);
      await untilVisible(4);

      expect(await types({ tenantId: tenant() })).toEqual(['A1', 'A2', 'B1', 'A3']);
      expect(await types({ tenantId: tenant(), direction: 'backwards' })).toEqual([
        'A3',
        'B1',
        'A2',
        'A1',
      ]);
      const [a1] = (await store().queryEvents({ tenantId: tenant(), maxCount: 1 })).events;
      expect(a1).toMatchObject({ streamName: name('a'), revision: 0, type: 'A1' });
      expect(a1.metadata).toEqual({ tenantId: tenant() });
    });

    it('filters by actor, type and time range, all of them holding', async () => {
      await store().appendToStream(name('s'), [event('Started', { actor: 'alice' })]);
      await store().appendToStream(name('s'), [event('Reported', { actor: 'device:7' })]);
      await store().appendToStream(name('s'), [event('Started', { actor: 'bob' })]);
      await store().appendToStream(name('s'), [event('Ended', { actor: 'alice' })]);
      await untilVisible(4);
      const all = (await allPages({ tenantId: tenant() })).flat();

      expect(await types({ tenantId: tenant(), actor: 'alice' })).toEqual(['Started', 'Ended']);
      expect(await types({ tenantId: tenant(), types: ['Started', 'Ended'] })).toEqual([
        'Started',
        'Started',
        'Ended',
      ]);
      expect(await types({ tenantId: tenant(), types: ['Started'], actor: 'bob' })).toEqual([
        'Started',
      ]);
      expect(await types({ tenantId: tenant(), types: [] })).toEqual([]);

      // Times as the store gives them back (milliseconds): the bounds keep what they say.
      const from = all[1].recordedAt;
      const before = all[3].recordedAt;
      const inRange = all.filter(
        (e) =>
          e.recordedAt.getTime() >= from.getTime() && e.recordedAt.getTime() < before.getTime(),
      );
      expect(inRange.length).toBeGreaterThan(0);
      expect(
        await types({ tenantId: tenant(), recordedFrom: from, recordedBefore: before }),
      ).toEqual(inRange.map((e) => e.type));
      expect(
        await types({ tenantId: tenant(), recordedFrom: new Date(Date.now() + 60_000) }),
      ).toEqual([]);
    });

    it('keeps events within every scope: stream names, prefixes, correlation ids', async () => {
      const correlation = name('rollout-1');
      await store().appendToStream(name('job/1'), [event('J1', { correlationId: correlation })]);
      await store().appendToStream(name('job/2'), [event('J2')]);
      await store().appendToStream(name('client/7'), [event('C7', { correlationId: correlation })]);
      await store().appendToStream(name('rollout/1'), [event('R1')]);
      await untilVisible(4);
      const scope = (query: Omit<EventQuery, 'maxCount' | 'tenantId'>) =>
        types({ tenantId: tenant(), ...query });

      expect(await scope({ within: [{ streamNames: [name('job/2'), name('nothing')] }] })).toEqual([
        'J2',
      ]);
      expect(await scope({ within: [{ streamPrefixes: [name('job/')] }] })).toEqual(['J1', 'J2']);
      // LIKE's wildcards in a prefix are taken literally.
      expect(await scope({ within: [{ streamPrefixes: [name('job_')] }] })).toEqual([]);
      expect(
        await scope({
          within: [{ streamNames: [name('rollout/1')], correlationIds: [correlation] }],
        }),
      ).toEqual(['J1', 'C7', 'R1']);
      // Scopes are all required: the rollout's events that are also a job's.
      expect(
        await scope({
          within: [
            { streamNames: [name('rollout/1')], correlationIds: [correlation] },
            { streamPrefixes: [name('job/')] },
          ],
        }),
      ).toEqual(['J1']);
      expect(await scope({ within: [{}] })).toEqual([]);
      expect(await scope({ within: [{ streamNames: [] }] })).toEqual([]);
    });

    it('pages with its cursor both ways, without a gap or a repeat, and says when it ends', async () => {
      const written = Array.from({ length: 25 }, (_, i) => event(`E${i}`));
      for (let i = 0; i < written.length; i += 5) {
        await store().appendToStream(name(`p${i % 2}`), written.slice(i, i + 5));
      }
      await untilVisible(25);
      const expected = written.map((e) => e.type);

      const forwards = await allPages({ tenantId: tenant() }, 10);
      expect(forwards.map((page) => page.length)).toEqual([10, 10, 5]);
      expect(forwards.flat().map((e) => e.type)).toEqual(expected);
      const backwards = await allPages({ tenantId: tenant(), direction: 'backwards' }, 10);
      expect(backwards.flat().map((e) => e.type)).toEqual([...expected].reverse());
      // A page that ends exactly at the last event has no next.
      expect((await allPages({ tenantId: tenant() }, 5)).map((page) => page.length)).toEqual([
        5, 5, 5, 5, 5,
      ]);
      // Continuing from the middle, either way.
      const middle = forwards[0][9].position;
      const after = await store().queryEvents({ tenantId: tenant(), after: middle, maxCount: 3 });
      expect(after.events.map((e) => e.type)).toEqual(['E10', 'E11', 'E12']);
      const beforeMiddle = await store().queryEvents({
        tenantId: tenant(),
        after: middle,
        direction: 'backwards',
        maxCount: 3,
      });
      expect(beforeMiddle.events.map((e) => e.type)).toEqual(['E8', 'E7', 'E6']);
    });

    it('refuses input it cannot take, reading nothing', async () => {
      const refused = (query: Partial<EventQuery>) =>
        expect(
          store().queryEvents({ tenantId: tenant(), maxCount: 10, ...query } as EventQuery),
        ).rejects.toBeInstanceOf(InvalidEventStoreInputError);
      await refused({ after: 'not-a-position' });
      await refused({ after: "1:1' OR true --" });
      await refused({ maxCount: 0 });
      await refused({ maxCount: 10_001 });
      await refused({ maxCount: 1.5 });
      await refused({ recordedFrom: new Date('not a date') });
      await refused({ direction: 'sideways' as 'forwards' });
      await refused({ types: [''] });
      await refused({ actor: '' });
    });
  });
}
