/** The rows to render, [start, end), for a window of fixed-height rows scrolled to `scrollTop`. */
export interface RowRange {
  start: number;
  end: number;
}

/**
 * Rows of `rowHeight` pixels, `count` of them, seen through a viewport of `viewportHeight`
 * scrolled by `scrollTop` (both measured from the first row): the ones in view, plus `overscan`
 * on either side so a fast scroll does not show blank space before the next render.
 */
export function visibleRange(
  scrollTop: number,
  viewportHeight: number,
  rowHeight: number,
  count: number,
  overscan: number,
): RowRange {
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const inView = Math.ceil(Math.max(0, viewportHeight) / rowHeight) + 1;
  const start = Math.max(0, Math.min(first, count) - overscan);
  const end = Math.min(count, first + inView + overscan);
  return { start, end: Math.max(start, end) };
}
