import { visibleRange } from './visible-range';

describe('the rows a fixed-height window renders', () => {
  it('renders what is in view plus the overscan on either side, never past the ends', () => {
    // 30 px rows, a 300 px viewport: 10 rows in view, 11 when one is cut at the top.
    expect(visibleRange(0, 300, 30, 10_000, 5)).toEqual({ start: 0, end: 16 });
    expect(visibleRange(3000, 300, 30, 10_000, 5)).toEqual({ start: 95, end: 116 });
    expect(visibleRange(3015, 300, 30, 10_000, 5)).toEqual({ start: 95, end: 116 });
    expect(visibleRange(299_700, 300, 30, 10_000, 5)).toEqual({ start: 9985, end: 10_000 });
  });

  it('renders a bounded number of rows whatever the count', () => {
    for (const count of [0, 1, 50, 10_000, 1_000_000]) {
      const { start, end } = visibleRange(count * 15, 900, 36, count, 8);
      expect(end - start).toBeLessThanOrEqual(Math.ceil(900 / 36) + 1 + 16);
      expect(start).toBeGreaterThanOrEqual(0);
      expect(end).toBeLessThanOrEqual(count);
    }
  });

  it('copes with a list shorter than where it was scrolled to (a filter just shrank it)', () => {
    expect(visibleRange(30_000, 300, 30, 20, 5)).toEqual({ start: 15, end: 20 });
    expect(visibleRange(-40, 0, 30, 20, 0)).toEqual({ start: 0, end: 1 });
  });
});
