import {
  imageDigestSchema,
  imageReferenceSchema,
} from '@opcfleet/contracts/commands/update-command';
import { idSchema } from '@opcfleet/contracts/ids';
import type { ReleaseRequest } from '../api/api-client';
import type { ErrorsByPath } from './field-errors';
import { parseLabels } from './labels';

/**
 * A semantic version (semver.org 2.0.0): the pattern the service registers releases with
 * (device-management releases/domain/semver.ts; release-form.spec.ts checks they are the same).
 */
export const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

/** Labels as the service takes them (http/schema-validators.ts LABEL): names and values. */
const LABEL = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const MAX_NOTES = 10_000;

export interface ReleaseFormValues {
  product: string;
  version: string;
  image: string;
  imageDigest: string;
  notes: string;
  /** `site=plant-7, line=A`: labels a client must carry to be given the release. */
  constraints: string;
}

export const EMPTY_RELEASE_FORM: ReleaseFormValues = {
  product: '',
  version: '',
  image: '',
  imageDigest: '',
  notes: '',
  constraints: '',
};

export type ReleaseFormResult =
  { ok: true; request: ReleaseRequest } | { ok: false; errors: ErrorsByPath };

/** Why a version is not one the catalogue takes, or undefined. */
export function versionProblem(version: string): string | undefined {
  if (!version) return 'required';
  if (SEMVER.test(version)) return undefined;
  if (/^v\d/i.test(version)) return `a semantic version has no "v": ${version.slice(1)}`;
  if (version.length > 64) return 'at most 64 characters';
  return 'must be a semantic version: major.minor.patch such as 2.1.0 (optionally -rc.1), without leading zeros';
}

/** Why a digest is not `sha256:` and 64 lowercase hex digits, in words, or undefined. */
export function digestProblem(digest: string): string | undefined {
  if (!digest) return 'required: the agent installs only an image with this digest';
  if (imageDigestSchema.safeParse(digest).success) return undefined;
  if (!digest.startsWith('sha256:')) return 'must start with "sha256:", then 64 hex digits';
  const hex = digest.slice('sha256:'.length);
  if (/^[0-9a-fA-F]*$/.test(hex) && hex !== hex.toLowerCase() && hex.length === 64) {
    return 'the hex digits must be lowercase (0-9, a-f)';
  }
  if (!/^[0-9a-fA-F]*$/.test(hex)) {
    return 'after "sha256:" only hex digits may follow (0-9, a-f)';
  }
  return `after "sha256:" come exactly 64 hex digits; this has ${hex.length}`;
}

/**
 * The registration the form would send, checked as the service checks it (the contracts'
 * image and digest schemas, semantic versions, label names): an error per field, by the
 * request's field names (the service's 400 field errors use the same), nothing sent while
 * one remains.
 */
export function toReleaseRequest(values: ReleaseFormValues): ReleaseFormResult {
  const product = values.product.trim();
  const version = values.version.trim();
  const image = values.image.trim();
  const imageDigest = values.imageDigest.trim();
  const notes = values.notes;
  const errors: ErrorsByPath = {};

  if (!product) errors.product = 'required';
  else if (!idSchema.safeParse(product).success) {
    errors.product =
      'letters, digits, ".", "_" or "-" (at most 128), starting with a letter or digit';
  }
  const badVersion = versionProblem(version);
  if (badVersion) errors.version = badVersion;
  const imageCheck = imageReferenceSchema.safeParse(image);
  if (!image) errors.image = 'required';
  else if (!imageCheck.success) errors.image = imageCheck.error.issues[0].message;
  const badDigest = digestProblem(imageDigest);
  if (badDigest) errors.imageDigest = badDigest;
  const pinned = /@(sha256:[a-f0-9]{64})$/.exec(image)?.[1];
  if (!errors.image && !badDigest && pinned && pinned !== imageDigest) {
    errors.image = 'ends in another digest than the one given below';
  }
  if (notes.length > MAX_NOTES) errors.notes = `at most ${MAX_NOTES} characters`;
  const constraints = parseLabels(values.constraints);
  if (!constraints.ok) errors.constraints = constraints.error;
  else {
    const bad = Object.entries(constraints.labels).find(
      ([name, value]) => !LABEL.test(name) || !LABEL.test(value),
    );
    if (bad) {
      errors.constraints = `"${bad[0]}=${bad[1]}": names and values are 1-63 letters, digits, ".", "_" or "-"`;
    }
  }

  if (Object.keys(errors).length > 0 || !constraints.ok) return { ok: false, errors };
  return {
    ok: true,
    request: {
      product,
      version,
      image,
      imageDigest,
      ...(notes.trim() && { notes }),
      ...(Object.keys(constraints.labels).length > 0 && { constraints: constraints.labels }),
    },
  };
}

/** The service's 400 field errors, by field, beside the same inputs as the form's own. */
export function serverFieldErrors(
  fieldErrors: readonly { path: string; message: string }[] | undefined,
): ErrorsByPath {
  const byPath: ErrorsByPath = {};
  for (const { path, message } of fieldErrors ?? []) {
    const field = path.split('.')[0];
    byPath[field] = byPath[field] ? `${byPath[field]}; ${message}` : message;
  }
  return byPath;
}
