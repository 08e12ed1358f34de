import {
  updatePayloadSchema,
  type UpdatePayload,
} from '@opcfleet/contracts/commands/update-command';
import { validateWith } from '@opcfleet/contracts/validation';
import { errorsByPath, type ErrorsByPath } from './field-errors';

export interface UpdateFormValues {
  image: string;
  targetVersion: string;
  imageDigest: string;
}

export type UpdateFormResult =
  { ok: true; request: UpdatePayload } | { ok: false; errors: ErrorsByPath };

/**
 * The update request the form would send, checked with the same schema the device checks the
 * command with (libs/contracts); an empty digest is no digest.
 */
export function toUpdateRequest(values: UpdateFormValues): UpdateFormResult {
  const candidate = {
    image: values.image.trim(),
    targetVersion: values.targetVersion.trim(),
    ...(values.imageDigest.trim() && { imageDigest: values.imageDigest.trim() }),
  };
  const validated = validateWith(updatePayloadSchema, candidate);
  return validated.ok
    ? { ok: true, request: validated.value }
    : { ok: false, errors: errorsByPath(validated.errors) };
}
