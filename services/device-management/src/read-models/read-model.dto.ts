import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { JobState } from '../jobs/domain/job-kind';
import { jobKind } from '../jobs/job-kinds';
import type { JobKind } from '../shared/domain/domain-event';
import type { ClientView } from './read-model.entities';

export class JobFailureDto {
  @ApiProperty() reason: string;
  @ApiPropertyOptional() code?: string;
  @ApiPropertyOptional({ type: 'array', items: { type: 'object' } })
  fieldErrors?: { path: string; message: string }[];
}

/**
 * What a device sent with a failed or rolled-back update: the failed container's last log lines
 * and the agent's own lines for the job, redacted on the device (secrets matched by its
 * redaction patterns read `[REDACTED]`). Lines are plain text, oldest first.
 */
export class JobEvidenceDto {
  @ApiProperty({
    type: [String],
    maxItems: 50,
    description: "The failed container's last lines of stdout and stderr (at most 8 KiB)",
    example: [
      'opc-core 2.1.0 [good]: connecting to opc.tcp://plc-7:4840 password=[REDACTED]',
      'opc-core 2.1.0 [good]: fatal: PLC refused the session, exiting',
    ],
  })
  workloadLog: string[];
  @ApiProperty({
    type: [String],
    maxItems: 50,
    description: "The agent's log lines for the job (at most 8 KiB)",
    example: [
      '2026-11-23T10:01:12.004Z info update job transition from=verifying to=rolling_back event=STEP_FAILED reason="unhealthy: the new container exited with code 1"',
      '2026-11-23T10:01:12.031Z warn removing the failed new container container=5f0c2a',
    ],
  })
  agentLog: string[];
  @ApiProperty({ description: 'Lines were left out or cut to keep within the bounds' })
  truncated: boolean;
  @ApiPropertyOptional({
    description: "Why the container's log could not be read",
    example: 'logs of 5f0c2a: no such container',
  })
  workloadLogError?: string;
}

/** A job as people and UIs see it; the same shape now and `asOf` a past time. */
export class JobDto {
  @ApiProperty({ format: 'uuid' }) jobId: string;
  @ApiProperty({ enum: ['update', 'config'] }) kind: JobKind;
  @ApiProperty() clientId: string;
  @ApiProperty({ example: 'InProgress' }) status: string;
  @ApiPropertyOptional({ example: 'pulling' }) phase?: string;
  @ApiPropertyOptional() targetVersion?: string;
  @ApiPropertyOptional() image?: string;
  @ApiPropertyOptional() imageDigest?: string;
  @ApiPropertyOptional({
    format: 'uuid',
    description: 'The release this update installs, when it was requested by release',
  })
  releaseId?: string;
  @ApiPropertyOptional() fromVersion?: string;
  @ApiPropertyOptional({
    description:
      'The image the client ran when the update was requested, once an earlier update recorded it',
    example: 'registry.example.com/opc-core:2.0.0',
  })
  fromImage?: string;
  @ApiPropertyOptional() configVersion?: number;
  @ApiPropertyOptional() reportedVersion?: string;
  @ApiPropertyOptional({ type: JobFailureDto }) failure?: JobFailureDto;
  @ApiPropertyOptional() rollback?: { reason: string };
  @ApiPropertyOptional() progress?: { bytes: number; totalBytes?: number; percent?: number };
  @ApiPropertyOptional({
    type: JobEvidenceDto,
    description:
      'Why a failed or rolled-back update failed, as the device saw it; shown by GET /api/v1/jobs/{id} only, not in lists',
  })
  evidence?: JobEvidenceDto;
  @ApiProperty() requestedAt: string;
  @ApiPropertyOptional() dispatchedAt?: string;
  @ApiPropertyOptional() startedAt?: string;
  @ApiPropertyOptional() finishedAt?: string;
}

export function toJobDto(kind: JobKind, state: JobState): JobDto {
  return {
    jobId: state.request.jobId,
    kind,
    clientId: state.request.clientId,
    status: state.status,
    ...(state.phase ? { phase: state.phase } : {}),
    requestedAt: state.request.requestedAt,
    ...(state.dispatchedAt ? { dispatchedAt: state.dispatchedAt } : {}),
    ...(state.startedAt ? { startedAt: state.startedAt } : {}),
    ...(state.finishedAt ? { finishedAt: state.finishedAt } : {}),
    ...(state.failure ? { failure: state.failure } : {}),
    ...jobKind(kind).details(state),
  };
}

export class ClientDto {
  @ApiProperty() clientId: string;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } })
  labels: Record<string, string>;
  @ApiProperty({ enum: ['Online', 'Offline', 'Updating', 'UpdateFailed'] }) status: string;
  @ApiPropertyOptional({ enum: ['online', 'offline'] }) presence?: string;
  @ApiProperty({ description: 'Desired vs reported workload version' })
  version: { desired?: string; reported?: string };
  @ApiProperty({ description: 'Latest requested vs applied config version' })
  config: { desired: number; applied?: number };
  @ApiPropertyOptional({ format: 'uuid', description: 'The update job in flight' })
  updateJobId?: string;
  @ApiPropertyOptional() lastUpdateOutcome?: string;
  @ApiPropertyOptional() lastSeenAt?: string;
  @ApiProperty() registeredAt: string;
}

export function toClientDto(row: ClientView): ClientDto {
  return {
    clientId: row.clientId,
    labels: row.labels,
    status: row.status,
    ...(row.presence ? { presence: row.presence } : {}),
    version: {
      ...(row.desiredVersion ? { desired: row.desiredVersion } : {}),
      ...(row.reportedVersion ? { reported: row.reportedVersion } : {}),
    },
    config: {
      desired: row.desiredConfigVersion,
      ...(row.appliedConfigVersion !== null ? { applied: row.appliedConfigVersion } : {}),
    },
    ...(row.updateJobId ? { updateJobId: row.updateJobId } : {}),
    ...(row.lastUpdateOutcome ? { lastUpdateOutcome: row.lastUpdateOutcome } : {}),
    ...(row.lastSeenAt ? { lastSeenAt: new Date(row.lastSeenAt).toISOString() } : {}),
    registeredAt: new Date(row.registeredAt).toISOString(),
  };
}

/** Opaque cursor of keyset paging: the sort key of the last row of the page. */
export const encodeCursor = (key: unknown[]) =>
  Buffer.from(JSON.stringify(key)).toString('base64url');
export function decodeCursor(cursor: string, arity: number): unknown[] | undefined {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    return Array.isArray(key) && key.length === arity && key.every((k) => typeof k === 'string')
      ? key
      : undefined;
  } catch {
    return undefined;
  }
}

export class PageDto<T> {
  items: T[];
  /** Pass as `cursor` to get the next page; absent on the last page. */
  nextCursor?: string;
}

/** Cuts a keyset page from `limit + 1` rows: the extra row only tells that more follow. */
export function pageOf<Row, Item>(
  rows: Row[],
  limit: number,
  toItem: (row: Row) => Item,
  keyOf: (row: Row) => string[],
): PageDto<Item> {
  const page = rows.slice(0, limit);
  return {
    items: page.map(toItem),
    ...(rows.length > limit ? { nextCursor: encodeCursor(keyOf(page[page.length - 1])) } : {}),
  };
}
