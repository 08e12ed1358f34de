import {
  imageDigestSchema,
  imageReferenceSchema,
  uuidSchema,
  versionSchema,
} from '@opcfleet/contracts';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsDefined, ValidateIf } from 'class-validator';
import {
  IsAlternativeTo,
  IsOmittable,
  IsOnlyWith,
  MatchesSchema,
} from '../../../http/schema-validators';

/** The fields of the explicit way (an image and a version), the alternative to `releaseId`. */
const EXPLICIT_FIELDS = ['image', 'targetVersion', 'imageDigest'] as const;

type UpdateWays = Partial<Record<'releaseId' | (typeof EXPLICIT_FIELDS)[number], unknown>>;
const byRelease = (body: UpdateWays) => body.releaseId !== undefined;
const explicit = (body: UpdateWays) => EXPLICIT_FIELDS.some((field) => body[field] !== undefined);

/**
 * What a client is updated to, one of two ways: a release of the catalogue (`releaseId`), or
 * an image and a version given explicitly (administrators, for what is not in the catalogue).
 */
export class RequestUpdateRequestDto {
  @ApiPropertyOptional({
    format: 'uuid',
    example: '4f1b2c3d-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
    description:
      'A release of the catalogue: its image, digest and version are installed. Give either this or `image` and `targetVersion`.',
  })
  @ValidateIf((body: UpdateWays) => byRelease(body) || !explicit(body))
  @IsDefined({ message: 'give releaseId, or image and targetVersion' })
  @MatchesSchema(uuidSchema)
  @IsAlternativeTo(EXPLICIT_FIELDS)
  releaseId?: string;

  @ApiPropertyOptional({
    default: false,
    description:
      'With `releaseId`: install it even when the client reports a higher version (else 409 `downgrade_refused`).',
  })
  @IsOmittable()
  @IsBoolean()
  @IsOnlyWith('releaseId')
  allowDowngrade?: boolean;

  @ApiPropertyOptional({ example: '2.1.0', description: 'With `image`, instead of `releaseId`.' })
  @ValidateIf((body: UpdateWays) => !byRelease(body) || body.targetVersion !== undefined)
  @MatchesSchema(versionSchema)
  targetVersion?: string;

  @ApiPropertyOptional({
    example: 'registry.example.com/opc-core:2.1.0',
    description: 'With `targetVersion`, instead of `releaseId`.',
  })
  @ValidateIf((body: UpdateWays) => !byRelease(body) || body.image !== undefined)
  @MatchesSchema(imageReferenceSchema)
  image?: string;

  @ApiPropertyOptional({
    example: `sha256:${'a'.repeat(64)}`,
    description: 'The agent refuses an image with another digest.',
  })
  @IsOmittable()
  @MatchesSchema(imageDigestSchema)
  imageDigest?: string;
}

export class JobAcceptedResponseDto {
  @ApiProperty({ format: 'uuid' }) jobId: string;
}

/** The update a request body asks for: by release, or explicit. */
export type RequestedUpdate =
  | { releaseId: string; allowDowngrade?: boolean }
  | { targetVersion: string; image: string; imageDigest?: string };

/** The way a validated body chose (the validation guarantees one of the two is whole). */
export function requestedUpdateOf(body: RequestUpdateRequestDto): RequestedUpdate {
  if (body.releaseId !== undefined) {
    return {
      releaseId: body.releaseId,
      ...(body.allowDowngrade !== undefined ? { allowDowngrade: body.allowDowngrade } : {}),
    };
  }
  return {
    targetVersion: body.targetVersion!,
    image: body.image!,
    ...(body.imageDigest ? { imageDigest: body.imageDigest } : {}),
  };
}
