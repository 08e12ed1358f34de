import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { RecordedEvent } from '@opcfleet/event-store';
import { parseStreamName } from '../shared/domain/stream-names';

const SUBJECT_KINDS = ['client', 'update-job', 'config-job', 'rollout', 'release'] as const;
type SubjectKind = (typeof SUBJECT_KINDS)[number];

/** One stored event as the audit trail shows it (a line of the NDJSON export). */
export class AuditEventDto {
  @ApiProperty({ format: 'uuid', example: '5b1f0f57-1c1e-4c55-a0a4-0c3b5f0e2d19' })
  eventId: string;
  @ApiProperty({ example: 'UpdateRequested' }) type: string;
  @ApiProperty({ format: 'date-time', example: '2026-11-23T10:00:05.123Z' }) recordedAt: string;
  @ApiProperty({
    enum: SUBJECT_KINDS,
    description: 'What the event is about: its stream',
    example: 'update-job',
  })
  subjectKind: SubjectKind;
  @ApiProperty({
    description: 'Client id, job id or rollout id',
    example: '0b0f3c52-5cf1-4a3e-9a51-2f7d0f5c0a11',
  })
  subjectId: string;
  @ApiProperty({ description: 'Position of the event in its stream, from 0', example: 0 })
  revision: number;
  @ApiPropertyOptional({
    description: 'JWT subject, `device:{clientId}` or `system:{component}`',
    example: 'alice@example.com',
  })
  actor?: string;
  @ApiPropertyOptional({ example: '3e0c0c8e-8f67-4a43-a2d5-6f4f3f1e0b77' }) correlationId?: string;
  @ApiPropertyOptional({ example: '3e0c0c8e-8f67-4a43-a2d5-6f4f3f1e0b77' }) causationId?: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: { jobId: '0b0f3c52-5cf1-4a3e-9a51-2f7d0f5c0a11', clientId: 'press-07' },
  })
  data: unknown;
}

/** Undefined for a stream the service did not name (none of a tenant's scopes holds one). */
export function toAuditEventDto(event: RecordedEvent): AuditEventDto | undefined {
  const subject = parseStreamName(event.streamName);
  if (!subject) return undefined;
  const { actor, correlationId, causationId } = event.metadata;
  return {
    eventId: event.id,
    type: event.type,
    recordedAt: event.recordedAt.toISOString(),
    subjectKind: subject.category,
    subjectId:
      'clientId' in subject
        ? subject.clientId
        : 'jobId' in subject
          ? subject.jobId
          : 'rolloutId' in subject
            ? subject.rolloutId
            : subject.releaseId,
    revision: event.revision,
    ...(typeof actor === 'string' ? { actor } : {}),
    ...(typeof correlationId === 'string' ? { correlationId } : {}),
    ...(typeof causationId === 'string' ? { causationId } : {}),
    data: event.data,
  };
}
