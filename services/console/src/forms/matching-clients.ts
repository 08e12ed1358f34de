import type { ClientView, Page } from '../api/types';

/** The clients a label selector matches, as far as they are counted. */
export interface MatchingClients {
  count: number;
  /** Every page has been read: `count` is exact (else it is "at least"). */
  complete: boolean;
  /** The first few client ids, in client id order. */
  preview: string[];
}

/** Labels as the list API takes them: `key=value`, one parameter each (all must match). */
export const labelFilter = (labels: Record<string, string>): string[] =>
  Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .sort();

/**
 * Counts the clients by reading the list API's pages one after the other (it has no count),
 * telling `onProgress` after each page; stops, without a last word, once `cancelled()` says so
 * (the labels changed meanwhile).
 */
export async function countMatchingClients(
  listPage: (cursor?: string) => Promise<Page<ClientView>>,
  onProgress: (matching: MatchingClients) => void,
  cancelled: () => boolean,
  previewSize = 5,
): Promise<void> {
  let count = 0;
  const preview: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await listPage(cursor);
    if (cancelled()) return;
    count += page.items.length;
    for (const client of page.items) {
      if (preview.length < previewSize) preview.push(client.clientId);
    }
    cursor = page.nextCursor;
    onProgress({ count, complete: !cursor, preview: [...preview] });
  } while (cursor);
}

/** "3 clients: a, b, c", "at least 400 clients: a, b, c, d, e, …", "no client". */
export function matchingText({ count, complete, preview }: MatchingClients): string {
  if (count === 0) return 'no client';
  const many = `${complete ? '' : 'at least '}${count} client${count === 1 && complete ? '' : 's'}`;
  return `${many}: ${preview.join(', ')}${count > preview.length ? ', …' : ''}`;
}
