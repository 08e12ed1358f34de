import { SEMVER as SERVICE_SEMVER } from '../../../device-management/src/releases/domain/semver';
import {
  EMPTY_RELEASE_FORM,
  SEMVER,
  digestProblem,
  serverFieldErrors,
  toReleaseRequest,
  versionProblem,
} from './release-form';

const DIGEST = `sha256:${'3b'.repeat(32)}`;
const valid = {
  ...EMPTY_RELEASE_FORM,
  product: 'opc-core',
  version: '5.0.0',
  image: 'registry.local/opc-core:5.0.0',
  imageDigest: DIGEST,
};

describe('the release registration form', () => {
  it('checks versions with the pattern the service registers them with', () => {
    expect(SEMVER.source).toBe(SERVICE_SEMVER.source);
    for (const version of ['2.1.0', '1.0.0-rc.1', '10.20.30+build.7', '0.0.1-alpha-2']) {
      expect(versionProblem(version)).toBeUndefined();
    }
    expect(versionProblem('')).toBe('required');
    expect(versionProblem('v2.1.0')).toBe('a semantic version has no "v": 2.1.0');
    for (const version of ['2.1', '2.01.0', '2.1.0.4', 'latest', '1.0.0-01']) {
      expect(versionProblem(version)).toMatch(/must be a semantic version: major.minor.patch/);
    }
  });

  it('says what is wrong with a digest: the prefix, the digits, their case, their number', () => {
    expect(digestProblem(DIGEST)).toBeUndefined();
    expect(digestProblem('')).toMatch(/^required/);
    expect(digestProblem('3b'.repeat(32))).toBe('must start with "sha256:", then 64 hex digits');
    expect(digestProblem(`sha256:${'3B'.repeat(32)}`)).toBe(
      'the hex digits must be lowercase (0-9, a-f)',
    );
    expect(digestProblem(`sha256:${'xy'.repeat(32)}`)).toBe(
      'after "sha256:" only hex digits may follow (0-9, a-f)',
    );
    expect(digestProblem('sha256:abc')).toBe(
      'after "sha256:" come exactly 64 hex digits; this has 3',
    );
  });

  it('builds the request, trimmed, without empty notes or constraints', () => {
    expect(toReleaseRequest({ ...valid, product: ' opc-core ', notes: '   ' })).toEqual({
      ok: true,
      request: {
        product: 'opc-core',
        version: '5.0.0',
        image: 'registry.local/opc-core:5.0.0',
        imageDigest: DIGEST,
      },
    });
    expect(
      toReleaseRequest({ ...valid, notes: '<b>fast</b>\nreconnects', constraints: 'site=plant-7' }),
    ).toEqual({
      ok: true,
      request: expect.objectContaining({
        notes: '<b>fast</b>\nreconnects',
        constraints: { site: 'plant-7' },
      }),
    });
  });

  it('gives every failing field its own message, as the service names the fields', () => {
    const result = toReleaseRequest({
      product: 'opc core',
      version: '5.0',
      image: 'Registry.local/OPC',
      imageDigest: 'sha256:12',
      notes: 'x'.repeat(10_001),
      constraints: 'site',
    });
    expect(result.ok).toBe(false);
    const errors = result.ok ? {} : result.errors;
    expect(Object.keys(errors).sort()).toEqual([
      'constraints',
      'image',
      'imageDigest',
      'notes',
      'product',
      'version',
    ]);
    expect(errors.image).toMatch(/image reference/);
    expect(errors.constraints).toBe('"site" is not key=value');
    expect(toReleaseRequest(EMPTY_RELEASE_FORM)).toEqual({
      ok: false,
      errors: expect.objectContaining({ product: 'required', version: 'required' }),
    });
  });

  it('refuses an image pinned to another digest, and labels the service would refuse', () => {
    const other = `sha256:${'a'.repeat(64)}`;
    const pinned = toReleaseRequest({ ...valid, image: `registry.local/opc-core@${other}` });
    expect(pinned.ok ? {} : pinned.errors).toEqual({
      image: 'ends in another digest than the one given below',
    });
    expect(toReleaseRequest({ ...valid, image: `registry.local/opc-core@${DIGEST}` }).ok).toBe(
      true,
    );
    const labels = toReleaseRequest({ ...valid, constraints: 'site=plant 7' });
    expect(labels.ok ? {} : labels.errors.constraints).toMatch(/^"site=plant 7": names and values/);
  });

  it("puts the service's field errors beside the inputs of their fields", () => {
    expect(
      serverFieldErrors([
        { path: 'version', message: 'version must be a semantic version such as 2.1.0' },
        { path: 'constraints.site', message: 'bad' },
        { path: 'constraints', message: 'worse' },
      ]),
    ).toEqual({
      version: 'version must be a semantic version such as 2.1.0',
      constraints: 'bad; worse',
    });
    expect(serverFieldErrors(undefined)).toEqual({});
  });
});
