import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsISO8601 } from 'class-validator';
import { IsOmittable } from '../../http/schema-validators';

export class GetJobRequestDto {
  @ApiPropertyOptional({
    example: '2026-11-23T10:00:05Z',
    description: 'The job as it stood at this instant, rebuilt from its events',
  })
  @IsOmittable()
  @IsISO8601({ strict: true })
  asOf?: string;
}
