import { idSchema, uuidSchema } from '@opcfleet/contracts';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString } from 'class-validator';
import { MatchesSchema } from '../../http/schema-validators';

export class JobChangesRequestDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Only this job' })
  @IsOptional()
  @MatchesSchema(uuidSchema)
  jobId?: string;

  @ApiPropertyOptional({ description: 'Only jobs of this client' })
  @IsOptional()
  @MatchesSchema(idSchema)
  clientId?: string;

  @ApiPropertyOptional({
    description: 'The bearer token, for EventSource, which cannot send headers',
  })
  @IsOptional()
  @IsString()
  access_token?: string;
}
