import { deciderSpecification } from '../../shared/testing/decider-specification';
import {
  decideRelease,
  evolveRelease,
  foldRelease,
  initialReleaseState,
  refusalOfRelease,
  type ReleaseTarget,
} from './release.decider';
import type { ReleaseEvent, ReleaseRegistered } from './release.events';
import { compareSemver, isSemver } from './semver';

const given = deciderSpecification({
  decide: decideRelease,
  evolve: evolveRelease,
  initialState: initialReleaseState,
});

const releaseId = '4f1b2c3d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
const at = '2026-11-30T10:00:00.000Z';
const registered = (changes: Partial<ReleaseRegistered['data']> = {}): ReleaseRegistered => ({
  type: 'ReleaseRegistered',
  data: {
    releaseId,
    tenantId: 'acme',
    product: 'opc-core',
    version: '2.1.0',
    image: 'registry.example.com/opc-core:2.1.0',
    imageDigest: `sha256:${'a'.repeat(64)}`,
    notes: 'Faster reconnects.',
    constraints: { site: 'plant-7', arch: 'arm64' },
    registeredAt: at,
    ...changes,
  },
});
const withdrawn: ReleaseEvent = {
  type: 'ReleaseWithdrawn',
  data: { releaseId, reason: 'memory leak', at },
};
const withdraw = { type: 'WithdrawRelease' as const, data: withdrawn.data };

describe('release decider', () => {
  it('registers a version once', () => {
    given([]).when({ type: 'RegisterRelease', data: registered().data }).then([registered()]);
  });

  it('takes the same content again as a retry: nothing happens', () => {
    const again = registered({
      constraints: { arch: 'arm64', site: 'plant-7' },
      registeredAt: '2026-11-30T11:00:00.000Z',
    });
    given([registered()]).when({ type: 'RegisterRelease', data: again.data }).thenNothingHappens();
  });

  it('refuses other content under a registered version, naming what differs', () => {
    given([registered()])
      .when({
        type: 'RegisterRelease',
        data: registered({ imageDigest: `sha256:${'b'.repeat(64)}`, constraints: {} }).data,
      })
      .thenThrows('release_exists', { releaseId, differs: ['imageDigest', 'constraints'] });
  });

  it('withdraws a release once; withdrawing again changes nothing', () => {
    given([registered()]).when(withdraw).then([withdrawn]);
    given([registered(), withdrawn]).when(withdraw).thenNothingHappens();
    expect(foldRelease([registered(), withdrawn])?.withdrawn).toEqual({
      reason: 'memory leak',
      at,
    });
  });

  it('cannot withdraw a release that was never registered', () => {
    given([]).when(withdraw).thenThrows('not_found');
  });

  it('registering a withdrawn version again does not bring it back', () => {
    given([registered(), withdrawn])
      .when({ type: 'RegisterRelease', data: registered().data })
      .thenNothingHappens();
    expect(foldRelease([registered(), withdrawn])?.withdrawn).toBeDefined();
  });
});

describe('what a client must meet to be given a release', () => {
  const target: ReleaseTarget = {
    releaseId,
    version: '2.1.0',
    constraints: { site: 'plant-7', arch: 'arm64' },
  };
  const client = (labels: Record<string, string>, reportedVersion?: string) => ({
    clientId: 'press-07',
    labels,
    ...(reportedVersion ? { reportedVersion } : {}),
  });
  const fits = { site: 'plant-7', arch: 'arm64', line: 'A' };

  it('every constraint label, with its value', () => {
    expect(refusalOfRelease(target, client(fits, '2.0.0'))).toBeUndefined();
    const refusal = refusalOfRelease(target, client({ site: 'plant-8' }, '2.0.0'));
    expect(refusal?.code).toBe('release_constraints_not_met');
    expect(refusal?.details).toEqual({
      releaseId,
      clientId: 'press-07',
      missingLabels: { site: 'plant-7', arch: 'arm64' },
    });
  });

  it('no downgrade unless allowed; the same version or an unknown one is no downgrade', () => {
    expect(refusalOfRelease(target, client(fits, '2.2.0'))?.code).toBe('downgrade_refused');
    expect(refusalOfRelease(target, client(fits, '2.1.0-rc.1'))).toBeUndefined();
    expect(refusalOfRelease(target, client(fits, '2.1.0'))).toBeUndefined();
    expect(refusalOfRelease(target, client(fits))).toBeUndefined();
    expect(refusalOfRelease(target, client(fits, 'nightly'))).toBeUndefined();
    expect(
      refusalOfRelease({ ...target, allowDowngrade: true }, client(fits, '3.0.0')),
    ).toBeUndefined();
  });
});

describe('semantic versions', () => {
  it('are told from other version strings', () => {
    for (const version of ['1.0.0', '2.10.3-rc.1', '1.0.0+build.7', '0.0.1-alpha.beta']) {
      expect(isSemver(version)).toBe(true);
    }
    for (const version of ['1.0', 'v1.0.0', '01.0.0', '1.0.0-', 'latest', '1.0.0-01']) {
      expect(isSemver(version)).toBe(false);
    }
  });

  it('follow the precedence of semver.org', () => {
    const ordered = [
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0',
      '1.2.0',
      '1.10.0',
      '10.0.0',
    ];
    ordered.forEach((version, i) => {
      if (i > 0) expect(compareSemver(ordered[i - 1], version)).toBeLessThan(0);
      if (i > 0) expect(compareSemver(version, ordered[i - 1])).toBeGreaterThan(0);
    });
    expect(compareSemver('1.0.0+a', '1.0.0+b')).toBe(0);
    expect(compareSemver('1.0.0', 'latest')).toBeUndefined();
  });
});
