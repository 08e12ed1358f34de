import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsString } from 'class-validator';
import { IsOmittable } from './schema-validators';

/** The query of a server-sent-events stream. */
export class EventStreamRequestDto {
  @ApiPropertyOptional({
    description: 'The bearer token, for EventSource, which cannot send headers',
  })
  @IsOmittable()
  @IsString()
  access_token?: string;
}
