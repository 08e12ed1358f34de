import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { IsOmittable } from '../../http/schema-validators';
import { AuditFilterRequestDto } from '../audit-filter.request.dto';
import { EXPORT_FORMATS, type ExportFormat } from './audit-export-formats';

export class ExportAuditEventsRequestDto extends AuditFilterRequestDto {
  @ApiPropertyOptional({ enum: EXPORT_FORMATS, default: 'ndjson' })
  @IsOmittable()
  @IsIn(EXPORT_FORMATS)
  format?: ExportFormat;
}
