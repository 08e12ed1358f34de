import { useEffect, useLayoutEffect, useRef, useState, type ReactNode } from 'react';
import { visibleRange } from './visible-range';

/** Rows this many beyond either edge of the view are rendered too. */
const OVERSCAN = 10;

/**
 * A table of many rows of one fixed height (CSS `.virtual-table tbody tr`, `rowHeight` here)
 * in a scrolling box: only the rows in view (and a few around them) are in the DOM, two
 * spacer rows stand for the rest, so 10,000 rows cost what 40 do. `onNearEnd` is called when
 * the view comes near the last row (load the next page there).
 */
export function VirtualTable<T>({
  label,
  head,
  rows,
  rowKey,
  renderRow,
  rowHeight,
  columns,
  complete,
  onNearEnd,
  onRangeChange,
}: {
  label: string;
  head: ReactNode;
  rows: readonly T[];
  rowKey: (row: T) => string;
  /** The cells of one row. */
  renderRow: (row: T) => ReactNode;
  rowHeight: number;
  columns: number;
  /** Every row is loaded (else screen readers hear that the count is unknown). */
  complete: boolean;
  onNearEnd?: () => void;
  /** The rows rendered now, [start, end). */
  onRangeChange?: (start: number, end: number) => void;
}) {
  const box = useRef<HTMLDivElement>(null);
  const headRow = useRef<HTMLTableSectionElement>(null);
  const [view, setView] = useState({ scrollTop: 0, height: 600 });

  useLayoutEffect(() => {
    const element = box.current!;
    const measure = () =>
      setView({
        scrollTop: element.scrollTop - (headRow.current?.offsetHeight ?? 0),
        height: element.clientHeight,
      });
    measure();
    const resized = new ResizeObserver(measure);
    resized.observe(element);
    element.addEventListener('scroll', measure, { passive: true });
    return () => {
      resized.disconnect();
      element.removeEventListener('scroll', measure);
    };
  }, []);

  const { start, end } = visibleRange(
    view.scrollTop,
    view.height,
    rowHeight,
    rows.length,
    OVERSCAN,
  );
  const nearEnd = end >= rows.length - OVERSCAN;
  const latest = useRef({ onNearEnd, onRangeChange });
  latest.current = { onNearEnd, onRangeChange };
  useEffect(() => {
    if (nearEnd) latest.current.onNearEnd?.();
  }, [nearEnd, rows.length]);
  useEffect(() => latest.current.onRangeChange?.(start, end), [start, end]);

  return (
    <div className="virtual-table" ref={box} tabIndex={0} role="region" aria-label={label}>
      <table aria-label={label} aria-rowcount={complete ? rows.length + 1 : -1}>
        <thead ref={headRow}>{head}</thead>
        <tbody>
          {start > 0 && <Spacer height={start * rowHeight} columns={columns} />}
          {rows.slice(start, end).map((row, offset) => (
            // +2: aria-rowindex counts from 1, and the header row is the first.
            <tr key={rowKey(row)} aria-rowindex={start + offset + 2}>
              {renderRow(row)}
            </tr>
          ))}
          {end < rows.length && (
            <Spacer height={(rows.length - end) * rowHeight} columns={columns} />
          )}
        </tbody>
      </table>
    </div>
  );
}

/** The height of the rows not rendered (set through the CSSOM: the CSP allows no inline style). */
function Spacer({ height, columns }: { height: number; columns: number }) {
  return (
    <tr aria-hidden="true" className="spacer">
      <td colSpan={columns} style={{ height }} />
    </tr>
  );
}
