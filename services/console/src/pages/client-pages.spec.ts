import type { ClientView } from '../api/types';
import { pagesOfRows, rowsOf, type ClientPage } from './client-pages';

const client = (clientId: string) => ({ clientId }) as ClientView;
const page = (ids: string[], next?: string): ClientPage => ({
  items: ids.map(client),
  next,
  stale: false,
});

describe('the fleet, a page at a time', () => {
  it('lists the rows of the loaded pages in order, and which page each came from', () => {
    const { rows, pageOfRow } = rowsOf([page(['a', 'b'], 'b'), page(['c', 'd'], 'd'), page(['e'])]);
    expect(rows.map((r) => r.clientId)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(pageOfRow).toEqual([0, 0, 1, 1, 2]);
    expect(pagesOfRows(pageOfRow, 1, 4)).toEqual([0, 1]);
    expect(pagesOfRows(pageOfRow, 4, 40)).toEqual([2]);
  });

  it('shows a client once when a page loaded again reaches into the next', () => {
    // 'b' left the filter: page 0 loaded again now ends with 'c', which page 1 also holds.
    const { rows, pageOfRow } = rowsOf([page(['a', 'c'], 'c'), page(['c', 'd'])]);
    expect(rows.map((r) => r.clientId)).toEqual(['a', 'c', 'd']);
    expect(pageOfRow).toEqual([0, 0, 1]);
  });
});
