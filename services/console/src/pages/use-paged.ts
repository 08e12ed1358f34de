import { useState } from 'react';
import type { Page } from '../api/types';
import { useAction, useLoaded } from '../session';

/**
 * A list read a page at a time (an opaque `nextCursor`): the first page now and when `deps`
 * change or `refresh()` is called, the next ones on `loadMore()`. The pages loaded after the
 * first belong to it: a new first page drops them, so no row shows twice.
 */
export function usePaged<T>(load: (cursor?: string) => Promise<Page<T>>, deps: unknown[]) {
  const first = useLoaded(() => load(), deps);
  const loading = useAction();
  const [more, setMore] = useState<{ of: Page<T>; items: T[]; next?: string }>();
  const current = more && more.of === first.value ? more : undefined;
  const next = current ? current.next : first.value?.nextCursor;
  return {
    items: first.value && [...first.value.items, ...(current?.items ?? [])],
    /** Whether there is more to load. */
    more: next !== undefined,
    busy: loading.busy,
    error: first.error ?? loading.error,
    refresh: first.refresh,
    async loadMore() {
      const of = first.value;
      if (!of || next === undefined) return;
      const done = await loading.run(() => load(next));
      if (!done) return;
      setMore((previous) => ({
        of,
        items: [...(previous?.of === of ? previous.items : []), ...done.value.items],
        next: done.value.nextCursor,
      }));
    },
  };
}
