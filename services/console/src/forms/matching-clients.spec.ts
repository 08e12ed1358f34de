import type { ClientView, Page } from '../api/types';
import {
  countMatchingClients,
  labelFilter,
  matchingText,
  type MatchingClients,
} from './matching-clients';

/** The list API over `ids`, `size` a page, recording the cursors it is asked with. */
function listApi(ids: string[], size: number) {
  const asked: (string | undefined)[] = [];
  const listPage = async (cursor?: string): Promise<Page<ClientView>> => {
    asked.push(cursor);
    const from = cursor ? Number(cursor) : 0;
    const items = ids.slice(from, from + size).map((clientId) => ({ clientId }) as ClientView);
    return { items, ...(from + size < ids.length && { nextCursor: String(from + size) }) };
  };
  return { listPage, asked };
}

describe('the clients a rollout by labels would target', () => {
  const ids = Array.from({ length: 450 }, (_, i) => `c-${i}`);

  it('counts page after page, saying "at least" until the last one', async () => {
    const { listPage, asked } = listApi(ids, 200);
    const progress: MatchingClients[] = [];
    await countMatchingClients(
      listPage,
      (m) => progress.push(m),
      () => false,
    );
    expect(asked).toEqual([undefined, '200', '400']);
    expect(progress.map((m) => [m.count, m.complete])).toEqual([
      [200, false],
      [400, false],
      [450, true],
    ]);
    expect(progress[2].preview).toEqual(['c-0', 'c-1', 'c-2', 'c-3', 'c-4']);
    expect(matchingText(progress[0])).toBe('at least 200 clients: c-0, c-1, c-2, c-3, c-4, …');
    expect(matchingText(progress[2])).toBe('450 clients: c-0, c-1, c-2, c-3, c-4, …');
  });

  it('stops reading and says nothing more once the labels changed', async () => {
    const { listPage, asked } = listApi(ids, 200);
    const progress: MatchingClients[] = [];
    let changed = false;
    await countMatchingClients(
      async (cursor) => {
        const page = await listPage(cursor);
        changed = true; // the user typed while this page was on its way
        return page;
      },
      (m) => progress.push(m),
      () => changed,
    );
    expect(asked).toEqual([undefined]);
    expect(progress).toEqual([]);
  });

  it('words a few matches exactly', () => {
    expect(matchingText({ count: 0, complete: true, preview: [] })).toBe('no client');
    expect(matchingText({ count: 1, complete: true, preview: ['a'] })).toBe('1 client: a');
    expect(matchingText({ count: 2, complete: true, preview: ['a', 'b'] })).toBe('2 clients: a, b');
    expect(labelFilter({ site: 'plant-7', line: 'A' })).toEqual(['line=A', 'site=plant-7']);
  });
});
