import { idSchema, uuidSchema } from '@opcfleet/contracts';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsIn, IsISO8601, IsString, MaxLength, MinLength } from 'class-validator';
import { IsOmittable, MatchesSchema } from '../http/schema-validators';
import { AUDIT_EVENT_TYPES } from './audit-event-types';
import { AUDIT_ORDERS, type AuditFilter, type AuditOrder } from './audit-filter';

/** The filters of the audit search and of its export (query parameters); all must hold. */
export class AuditFilterRequestDto {
  @ApiPropertyOptional({
    description:
      'Who caused the events: a JWT subject, `device:{clientId}` or `system:{component}`',
    example: 'alice@example.com',
  })
  @IsOmittable()
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  actor?: string;

  @ApiPropertyOptional({
    description: "The client's own events and those of its jobs",
    example: 'press-07',
  })
  @IsOmittable()
  @MatchesSchema(idSchema)
  clientId?: string;

  @ApiPropertyOptional({ format: 'uuid', description: "The job's events" })
  @IsOmittable()
  @MatchesSchema(uuidSchema)
  jobId?: string;

  @ApiPropertyOptional({
    format: 'uuid',
    description: "The rollout's events and those of the jobs it opened (its correlation id)",
  })
  @IsOmittable()
  @MatchesSchema(uuidSchema)
  rolloutId?: string;

  @ApiPropertyOptional({
    description: 'Event types; repeat for several (any of them)',
    enum: AUDIT_EVENT_TYPES,
    isArray: true,
    example: ['UpdateRequested', 'UpdateFailed'],
  })
  @IsOmittable()
  @Transform(({ value }) => (Array.isArray(value) ? value : [value]))
  @ArrayMaxSize(AUDIT_EVENT_TYPES.length)
  @IsIn(AUDIT_EVENT_TYPES, { each: true, message: 'type must be a known event type' })
  type?: string[];

  @ApiPropertyOptional({
    format: 'date-time',
    description: 'Recorded at or after this instant (ISO-8601)',
    example: '2026-11-16T00:00:00Z',
  })
  @IsOmittable()
  @IsISO8601({ strict: true }, { message: 'from must be an ISO-8601 date and time' })
  from?: string;

  @ApiPropertyOptional({
    format: 'date-time',
    description: 'Recorded before this instant (ISO-8601)',
    example: '2026-11-23T00:00:00Z',
  })
  @IsOmittable()
  @IsISO8601({ strict: true }, { message: 'to must be an ISO-8601 date and time' })
  to?: string;

  @ApiPropertyOptional({ enum: AUDIT_ORDERS, default: 'newest' })
  @IsOmittable()
  @IsIn(AUDIT_ORDERS)
  order?: AuditOrder;
}

/** The checked filter of a request, scoped to the caller's tenant. */
export const auditFilterOf = (tenantId: string, dto: AuditFilterRequestDto): AuditFilter => ({
  tenantId,
  ...(dto.actor !== undefined ? { actor: dto.actor } : {}),
  ...(dto.clientId !== undefined ? { clientId: dto.clientId } : {}),
  ...(dto.jobId !== undefined ? { jobId: dto.jobId } : {}),
  ...(dto.rolloutId !== undefined ? { rolloutId: dto.rolloutId } : {}),
  ...(dto.type !== undefined ? { types: dto.type } : {}),
  ...(dto.from !== undefined ? { from: new Date(dto.from) } : {}),
  ...(dto.to !== undefined ? { to: new Date(dto.to) } : {}),
  order: dto.order ?? 'newest',
});
