import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { Release } from '../releases/domain/release.decider';

export const RELEASE_ID_EXAMPLE = '4f1b2c3d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
const DIGEST_EXAMPLE = `sha256:${'3b'.repeat(32)}`;

export class ReleaseWithdrawalDto {
  @ApiProperty({ example: 'memory leak under load' }) reason: string;
  @ApiProperty({ format: 'date-time', example: '2026-12-02T09:00:00.000Z' }) at: string;
}

/** A release of the catalogue as the API shows it. */
export class ReleaseDto {
  @ApiProperty({
    format: 'uuid',
    example: RELEASE_ID_EXAMPLE,
    description: 'The same for the same product and version within a tenant',
  })
  releaseId: string;
  @ApiProperty({ example: 'opc-core' }) product: string;
  @ApiProperty({ example: '2.1.0', description: 'A semantic version' }) version: string;
  @ApiProperty({ example: 'registry.example.com/opc-core:2.1.0' }) image: string;
  @ApiProperty({ example: DIGEST_EXAMPLE }) imageDigest: string;
  @ApiProperty({ example: 'Faster reconnects after a broker restart.' }) notes: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { site: 'plant-7' },
    description: 'Labels a client must carry, with these values, to be given this release',
  })
  constraints: Record<string, string>;
  @ApiProperty({ format: 'date-time', example: '2026-12-01T08:00:00.000Z' }) registeredAt: string;
  @ApiPropertyOptional({
    type: ReleaseWithdrawalDto,
    description: 'Present once withdrawn: no new job installs it',
  })
  withdrawn?: ReleaseWithdrawalDto;
}

export const RELEASE_EXAMPLE: ReleaseDto = {
  releaseId: RELEASE_ID_EXAMPLE,
  product: 'opc-core',
  version: '2.1.0',
  image: 'registry.example.com/opc-core:2.1.0',
  imageDigest: DIGEST_EXAMPLE,
  notes: 'Faster reconnects after a broker restart.',
  constraints: { site: 'plant-7' },
  registeredAt: '2026-12-01T08:00:00.000Z',
};

export function toReleaseDto(release: Release): ReleaseDto {
  const { releaseId, product, version, image, imageDigest, notes, constraints } = release;
  return {
    releaseId,
    product,
    version,
    image,
    imageDigest,
    notes,
    constraints,
    registeredAt: release.registeredAt,
    ...(release.withdrawn ? { withdrawn: { ...release.withdrawn } } : {}),
  };
}

/** Where a client stands with a release (GET /releases/{id}/clients). */
export const RELEASE_CLIENT_STATES = ['running', 'updating', 'failed'] as const;
export type ReleaseClientState = (typeof RELEASE_CLIENT_STATES)[number];

export class ReleaseClientDto {
  @ApiProperty({ example: 'press-07' }) clientId: string;
  @ApiProperty({
    enum: RELEASE_CLIENT_STATES,
    example: 'running',
    description:
      '`running`: it reports the release version and its last succeeded update was by this ' +
      'release; `updating`: a job by this release is in flight; `failed`: its latest job by ' +
      'this release failed, rolled back or timed out',
  })
  state: ReleaseClientState;
  @ApiProperty({
    format: 'uuid',
    example: '0b0f3c52-5cf1-4a3e-9a51-2f7d0f5c0a11',
    description: 'Its latest update job by this release',
  })
  jobId: string;
  @ApiProperty({ example: 'Succeeded', description: 'The status of that job' }) jobStatus: string;
  @ApiPropertyOptional({ example: '2.1.0' }) reportedVersion?: string;
}
