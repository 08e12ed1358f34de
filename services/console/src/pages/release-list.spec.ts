import type { Release } from '../api/types';
import { may } from '../auth/permissions';
import {
  afterWithdrawal,
  appendPage,
  imageAtDigest,
  releaseFilter,
  releaseOptionText,
  shortDigest,
} from './release-list';

const DIGEST = `sha256:${'3b'.repeat(32)}`;

/** A release as `GET /releases` lists it. */
const release = (releaseId: string, version: string, extra: Partial<Release> = {}): Release => ({
  releaseId,
  product: 'opc-core',
  version,
  image: `registry.local/opc-core:${version}`,
  imageDigest: DIGEST,
  notes: '',
  constraints: {},
  registeredAt: '2026-11-30T22:00:00.000Z',
  ...extra,
});

describe('the release catalogue', () => {
  it('asks the service for the filters chosen, and for none while the product is no id', () => {
    expect(releaseFilter('', '')).toEqual({});
    expect(releaseFilter(' opc-core ', 'false')).toEqual({ product: 'opc-core', withdrawn: false });
    expect(releaseFilter('', 'true')).toEqual({ withdrawn: true });
    expect(releaseFilter('opc core', '')).toBeUndefined();
    expect(releaseFilter('-core', 'true')).toBeUndefined();
  });

  it('shows image@digest shortened, in full for the title, the digest never twice', () => {
    expect(shortDigest(DIGEST)).toBe('sha256:3b3b3b3b3b3b…');
    expect(shortDigest('sha256:abc')).toBe('sha256:abc');
    expect(imageAtDigest(release('r1', '5.0.0'))).toEqual({
      full: `registry.local/opc-core:5.0.0@${DIGEST}`,
      short: 'registry.local/opc-core:5.0.0@sha256:3b3b3b3b3b3b…',
    });
    expect(
      imageAtDigest({ image: `registry.local/opc-core@${DIGEST}`, imageDigest: DIGEST }).full,
    ).toBe(`registry.local/opc-core@${DIGEST}`);
  });

  it('names a release in a select with the labels a client needs for it', () => {
    expect(releaseOptionText(release('r1', '5.0.0'))).toBe('opc-core 5.0.0');
    expect(
      releaseOptionText(release('r1', '5.0.0', { constraints: { site: 'plant-7', line: 'A' } })),
    ).toBe('opc-core 5.0.0 (needs site=plant-7, line=A)');
  });

  it('adds the next page without the releases already shown', () => {
    const first = [release('r3', '3.0.0'), release('r2', '2.0.0')];
    // A release registered meanwhile pushed r2 onto the next page too.
    const next = [release('r2', '2.0.0'), release('r1', '1.0.0')];
    expect(appendPage(first, next, (r) => r.releaseId).map((r) => r.version)).toEqual([
      '3.0.0',
      '2.0.0',
      '1.0.0',
    ]);
  });

  it('shows a withdrawal in its row, or drops the row from a list of installable releases', () => {
    const rows = [release('r2', '2.0.0'), release('r1', '1.0.0')];
    const withdrawn = release('r1', '1.0.0', {
      withdrawn: { reason: 'leaks', at: '2026-11-30T23:00:00.000Z' },
    });
    expect(afterWithdrawal(rows, withdrawn, {})[1].withdrawn?.reason).toBe('leaks');
    expect(afterWithdrawal(rows, withdrawn, { withdrawn: true })[1]).toBe(withdrawn);
    expect(afterWithdrawal(rows, withdrawn, { withdrawn: false })).toEqual([rows[0]]);
    expect(rows[1].withdrawn).toBeUndefined();
  });

  it('offers registering and withdrawing to admins only, as the service allows', () => {
    for (const action of ['registerRelease', 'withdrawRelease'] as const) {
      expect(may(['admin'], action)).toBe(true);
      expect(may(['operator', 'auditor'], action)).toBe(false);
    }
  });
});
