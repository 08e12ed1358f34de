import { idSchema, imageDigestSchema, imageReferenceSchema } from '@opcfleet/contracts';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, Matches, MaxLength } from 'class-validator';
import { IsLabels, IsOmittable, MatchesSchema } from '../../http/schema-validators';
import { SEMVER } from '../domain/semver';

export class RegisterReleaseRequestDto {
  @ApiProperty({ example: 'opc-core', description: 'The product the version is of.' })
  @MatchesSchema(idSchema)
  product: string;

  @ApiProperty({ example: '2.1.0', description: 'A semantic version (semver.org 2.0.0).' })
  @IsString()
  @MaxLength(64)
  @Matches(SEMVER, { message: 'version must be a semantic version such as 2.1.0' })
  version: string;

  @ApiProperty({
    example: 'registry.example.com/opc-core:2.1.0',
    description: 'The image reference; a digest it ends in must be `imageDigest`.',
  })
  @MatchesSchema(imageReferenceSchema)
  image: string;

  @ApiProperty({
    example: `sha256:${'3b'.repeat(32)}`,
    description: 'Required: the agent refuses an image with another digest.',
  })
  @MatchesSchema(imageDigestSchema)
  imageDigest: string;

  @ApiPropertyOptional({
    example: 'Faster reconnects after a broker restart.',
    maxLength: 10_000,
    default: '',
  })
  @IsOmittable()
  @IsString()
  @MaxLength(10_000)
  notes?: string;

  @ApiPropertyOptional({
    example: { site: 'plant-7' },
    type: 'object',
    additionalProperties: { type: 'string' },
    description: 'Labels a client must carry, with these values, to be given this release.',
  })
  @IsOmittable()
  @IsLabels()
  constraints?: Record<string, string>;
}
