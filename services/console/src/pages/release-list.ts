import type { ReleaseFilter } from '../api/api-client';
import type { Release, ReleaseClientState } from '../api/types';

/** What the catalogue's "Withdrawn" filter offers: all, only the installable, only withdrawn. */
export type WithdrawnChoice = '' | 'false' | 'true';

/**
 * The list request of the catalogue's filters, or undefined while the product typed is no id
 * the service takes (it would answer 400 on every keystroke).
 */
export function releaseFilter(
  product: string,
  withdrawn: WithdrawnChoice,
): ReleaseFilter | undefined {
  const name = product.trim();
  if (name && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(name)) return undefined;
  return {
    ...(name && { product: name }),
    ...(withdrawn && { withdrawn: withdrawn === 'true' }),
  };
}

/** `sha256:` and the first 12 hex digits: enough to tell digests apart on a screen. */
export function shortDigest(digest: string): string {
  const [algorithm, hex] = digest.split(':');
  return hex && hex.length > 12 ? `${algorithm}:${hex.slice(0, 12)}…` : digest;
}

/** The image without a digest it may end in (the release's digest is shown beside it). */
const imageName = (image: string) => image.replace(/@sha256:[a-f0-9]{64}$/, '');

/** `image@digest` as the agent pulls it: in full, and shortened for a table cell. */
export function imageAtDigest(release: Pick<Release, 'image' | 'imageDigest'>): {
  full: string;
  short: string;
} {
  const name = imageName(release.image);
  return {
    full: `${name}@${release.imageDigest}`,
    short: `${name}@${shortDigest(release.imageDigest)}`,
  };
}

/** `site=plant-7, line=A`, or '' for none. */
export const constraintsText = (constraints: Record<string, string>) =>
  Object.entries(constraints)
    .map(([name, value]) => `${name}=${value}`)
    .join(', ');

/** A release as an option of a select: product, version, and what a client must carry. */
export function releaseOptionText(release: Release): string {
  const needs = constraintsText(release.constraints);
  return `${release.product} ${release.version}${needs ? ` (needs ${needs})` : ''}`;
}

/**
 * `rows` then the rows of the next page not among them: a release registered meanwhile moves
 * the pages on, and must not show twice.
 */
export function appendPage<T>(
  rows: readonly T[],
  page: readonly T[],
  key: (row: T) => string,
): T[] {
  const seen = new Set(rows.map(key));
  return [...rows, ...page.filter((row) => !seen.has(key(row)))];
}

/**
 * The rows after a release was withdrawn: its row shows the withdrawal, or leaves a list of
 * only the installable releases.
 */
export function afterWithdrawal(
  rows: readonly Release[],
  withdrawn: Release,
  filter: ReleaseFilter,
): Release[] {
  if (filter.withdrawn === false) {
    return rows.filter((row) => row.releaseId !== withdrawn.releaseId);
  }
  return rows.map((row) => (row.releaseId === withdrawn.releaseId ? withdrawn : row));
}

/** Where a client stands with a release, in words. */
export const RELEASE_CLIENT_STATE_TEXT: Record<ReleaseClientState, string> = {
  running: 'runs it',
  updating: 'updating to it',
  failed: 'failed to install it',
};
