import { compareDecimals, comparePositions, decodePosition } from './position';

describe('compareDecimals', () => {
  it('orders decimal text by value, where text order would not', () => {
    expect(compareDecimals('999', '1000')).toBeLessThan(0);
    expect(compareDecimals('1000', '999')).toBeGreaterThan(0);
    expect(compareDecimals('12', '13')).toBeLessThan(0);
    expect(compareDecimals('18446744073709551615', '18446744073709551614')).toBeGreaterThan(0);
    expect(compareDecimals('42', '42')).toBe(0);
  });

  it('agrees with comparing the positions as numbers', () => {
    const values = ['0', '7', '10', '99', '100', '1001', '9007199254740993'];
    for (const a of values) {
      for (const b of values) {
        const byValue = comparePositions(decodePosition(`${a}:0`), decodePosition(`${b}:0`));
        expect(Math.sign(compareDecimals(a, b))).toBe(byValue);
      }
    }
  });
});
