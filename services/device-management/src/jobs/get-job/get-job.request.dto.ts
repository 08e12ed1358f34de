import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsISO8601, IsOptional } from 'class-validator';

export class GetJobRequestDto {
  @ApiPropertyOptional({
    example: '2026-11-23T10:00:05Z',
    description: 'The job as it stood at this instant, rebuilt from its events',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  asOf?: string;
}
