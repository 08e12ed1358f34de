import { idSchema, uuidSchema } from '@opcfleet/contracts';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { EventStreamRequestDto } from '../../http/event-stream.request.dto';
import { IsOmittable, MatchesSchema } from '../../http/schema-validators';

export class JobChangesRequestDto extends EventStreamRequestDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Only this job' })
  @IsOmittable()
  @MatchesSchema(uuidSchema)
  jobId?: string;

  @ApiPropertyOptional({ description: 'Only jobs of this client' })
  @IsOmittable()
  @MatchesSchema(idSchema)
  clientId?: string;
}
