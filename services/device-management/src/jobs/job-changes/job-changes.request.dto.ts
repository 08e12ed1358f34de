import { idSchema, uuidSchema } from '@opcfleet/contracts';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsString } from 'class-validator';
import { IsOmittable, MatchesSchema } from '../../http/schema-validators';

export class JobChangesRequestDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Only this job' })
  @IsOmittable()
  @MatchesSchema(uuidSchema)
  jobId?: string;

  @ApiPropertyOptional({ description: 'Only jobs of this client' })
  @IsOmittable()
  @MatchesSchema(idSchema)
  clientId?: string;

  @ApiPropertyOptional({
    description: 'The bearer token, for EventSource, which cannot send headers',
  })
  @IsOmittable()
  @IsString()
  access_token?: string;
}
