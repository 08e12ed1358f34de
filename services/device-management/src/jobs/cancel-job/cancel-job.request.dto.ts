import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import { IsOmittable } from '../../http/schema-validators';

export class CancelJobRequestDto {
  @ApiPropertyOptional({ example: 'wrong image tag', maxLength: 500 })
  @IsOmittable()
  @IsString()
  @MaxLength(500)
  reason?: string;
}
