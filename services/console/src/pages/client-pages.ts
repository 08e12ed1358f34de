import type { ClientView } from '../api/types';

/** One page of the fleet as the server gave it (keyset paging): where it starts, what it holds. */
export interface ClientPage {
  /** The cursor it was asked with (undefined: the first page). */
  cursor?: string;
  items: ClientView[];
  /** The cursor of the page after it; undefined: this is the last. */
  next?: string;
  /** Something may have changed since it was loaded: load it again when it is seen. */
  stale: boolean;
}

/**
 * The rows of the loaded pages in order, each client once: a page loaded again may now reach
 * into the next one (a client left the filter, so the page takes one more), and the first
 * sighting wins.
 */
export function rowsOf(pages: readonly ClientPage[]): { rows: ClientView[]; pageOfRow: number[] } {
  const seen = new Set<string>();
  const rows: ClientView[] = [];
  const pageOfRow: number[] = [];
  pages.forEach((page, index) => {
    for (const client of page.items) {
      if (seen.has(client.clientId)) continue;
      seen.add(client.clientId);
      rows.push(client);
      pageOfRow.push(index);
    }
  });
  return { rows, pageOfRow };
}

/** The pages that rows [start, end) come from. */
export function pagesOfRows(pageOfRow: readonly number[], start: number, end: number): number[] {
  return [...new Set(pageOfRow.slice(start, end))];
}
