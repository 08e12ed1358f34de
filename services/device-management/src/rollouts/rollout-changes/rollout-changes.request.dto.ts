import { uuidSchema } from '@opcfleet/contracts';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { EventStreamRequestDto } from '../../http/event-stream.request.dto';
import { IsOmittable, MatchesSchema } from '../../http/schema-validators';

export class RolloutChangesRequestDto extends EventStreamRequestDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Only this rollout' })
  @IsOmittable()
  @MatchesSchema(uuidSchema)
  rolloutId?: string;
}
