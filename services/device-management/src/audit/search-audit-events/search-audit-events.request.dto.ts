import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsString, Max, MaxLength, Min } from 'class-validator';
import { IsOmittable } from '../../http/schema-validators';
import { AuditEventDto } from '../audit-event.dto';
import { AuditFilterRequestDto } from '../audit-filter.request.dto';

export const AUDIT_PAGE_MAX = 500;

export class SearchAuditEventsRequestDto extends AuditFilterRequestDto {
  @ApiPropertyOptional({ default: 100, minimum: 1, maximum: AUDIT_PAGE_MAX })
  @IsOmittable()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(AUDIT_PAGE_MAX)
  limit?: number;

  @ApiPropertyOptional({
    description: '`nextCursor` of the previous page (with the same `order`)',
  })
  @IsOmittable()
  @IsString()
  @MaxLength(1024)
  cursor?: string;
}

export class AuditEventPageDto {
  @ApiProperty({ type: [AuditEventDto] }) items: AuditEventDto[];
  @ApiPropertyOptional({
    description: 'Pass as `cursor` for the next page; absent on the last page',
    example: 'eyJ2IjoxLCJvcmRlciI6Im5ld2VzdCIsInBvc2l0aW9uIjoiNzQxOjEyMDMifQ',
  })
  nextCursor?: string;
}
