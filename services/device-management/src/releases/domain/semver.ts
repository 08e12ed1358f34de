/**
 * Semantic versions (semver.org 2.0.0): the pattern the specification gives, and the order of
 * precedence it defines (build metadata does not count).
 */
export const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

export const isSemver = (version: string) => SEMVER.test(version);

/**
 * Negative when `a` precedes `b`, positive when it follows, 0 when they are of equal
 * precedence; undefined when either is not a semantic version (nothing to compare).
 */
export function compareSemver(a: string, b: string): number | undefined {
  const x = SEMVER.exec(a);
  const y = SEMVER.exec(b);
  if (!x || !y) return undefined;
  for (let i = 1; i <= 3; i++) {
    const diff = compareNumeric(x[i], y[i]);
    if (diff !== 0) return diff;
  }
  // A version with a pre-release precedes the same version without one.
  if (x[4] === undefined || y[4] === undefined) {
    return x[4] === y[4] ? 0 : x[4] === undefined ? 1 : -1;
  }
  const left = x[4].split('.');
  const right = y[4].split('.');
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    if (left[i] === undefined) return -1;
    if (right[i] === undefined) return 1;
    const numeric = [left[i], right[i]].map((part) => /^\d+$/.test(part));
    const diff =
      numeric[0] && numeric[1]
        ? compareNumeric(left[i], right[i])
        : numeric[0] !== numeric[1]
          ? numeric[0]
            ? -1
            : 1
          : left[i] < right[i]
            ? -1
            : left[i] > right[i]
              ? 1
              : 0;
    if (diff !== 0) return diff;
  }
  return 0;
}

/** Digit strings of any length, without leading zeros (the pattern refuses them). */
const compareNumeric = (a: string, b: string) =>
  a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
