import { imageDigestSchema, imageReferenceSchema, versionSchema } from '@opcfleet/contracts';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOmittable, MatchesSchema } from '../../../http/schema-validators';

export class RequestUpdateRequestDto {
  @ApiProperty({ example: '2.1.0' })
  @MatchesSchema(versionSchema)
  targetVersion: string;

  @ApiProperty({ example: 'registry.example.com/opc-core:2.1.0' })
  @MatchesSchema(imageReferenceSchema)
  image: string;

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
