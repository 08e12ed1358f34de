import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { StateSummary } from '@opcfleet/contracts';

export class DeviceWorkloadDto {
  @ApiPropertyOptional({ example: '2.0.0' }) version?: string;
  @ApiPropertyOptional({ example: 'registry.example.com/opc-core:2.0.0' }) image?: string;
  @ApiProperty({ example: true }) running: boolean;
  @ApiPropertyOptional({ description: 'Set when the workload is down outside an update' })
  problem?: Record<string, unknown>;
}

export class DeviceJobDto {
  @ApiProperty({ format: 'uuid' }) jobId: string;
  @ApiProperty({ enum: ['update', 'config'] }) kind: 'update' | 'config';
  @ApiProperty({ example: 'verifying', description: "The agent's update machine state" })
  state: string;
  @ApiProperty({ description: 'Since when it is in that state (agent clock)' }) since: string;
}

export class DeviceTransitionDto {
  @ApiProperty({ example: 'verifying' }) state: string;
  @ApiProperty({ example: '2026-11-30T22:15:03.000Z', description: 'Agent clock' }) at: string;
}

export class DeviceErrorDto {
  @ApiProperty({ format: 'uuid', example: '3f6b2c1e-8a4d-4e7f-9b0c-5d1e2f3a4b5c' }) jobId: string;
  @ApiProperty({ example: 'health_check_failed' }) code: string;
  @ApiProperty({ example: 'the new version did not answer its health probe in 30 s' })
  message: string;
  @ApiProperty({ example: '2026-11-30T22:15:40.000Z' }) at: string;
}

/** What the agent on the device last said about itself (its retained state summary). */
export class DeviceStateDto {
  @ApiProperty({ example: 'press-07' }) clientId: string;
  @ApiProperty({ description: 'False until the agent has published a state summary' })
  reported: boolean;
  @ApiProperty({
    description:
      'True when the summary may be out of date: the client is offline (it is what the agent last said) or none came yet',
  })
  stale: boolean;
  @ApiPropertyOptional({ enum: ['online', 'offline'] }) presence?: string;
  @ApiPropertyOptional({ example: '0.1.0' }) agentVersion?: string;
  @ApiPropertyOptional({ type: DeviceWorkloadDto }) workload?: DeviceWorkloadDto;
  @ApiPropertyOptional({ example: 3 }) configVersion?: number;
  @ApiPropertyOptional({ type: DeviceJobDto, nullable: true }) currentJob?: DeviceJobDto | null;
  @ApiPropertyOptional({
    example: 2,
    description: "Device clock minus the service's, whole seconds",
  })
  clockSkewSeconds?: number;
  @ApiPropertyOptional({
    example: 12_884_901_888,
    description: 'Free bytes where the engine keeps images (absent when the agent cannot see it)',
  })
  freeDiskBytes?: number;
  @ApiPropertyOptional({
    type: [DeviceTransitionDto],
    description: "The latest update job's last state changes, oldest first",
  })
  lastTransitions?: DeviceTransitionDto[];
  @ApiPropertyOptional({ type: DeviceErrorDto, description: 'The last error a job reported' })
  lastError?: DeviceErrorDto;
  @ApiPropertyOptional({ description: 'When the agent made the summary (its clock)' })
  reportedAt?: string;
  @ApiPropertyOptional({ description: 'When the service received it' }) receivedAt?: string;
}

export function toDeviceStateDto(
  clientId: string,
  presence: string | null,
  row: { summary: StateSummary; reportedAt: Date; receivedAt: Date } | null,
): DeviceStateDto {
  const base = { clientId, ...(presence ? { presence } : {}) };
  if (!row) return { ...base, reported: false, stale: true };
  const { agentVersion, workload, configVersion, currentJob, clockSkewSeconds } = row.summary;
  const { freeDiskBytes, lastTransitions, lastError } = row.summary;
  return {
    ...base,
    reported: true,
    stale: presence !== 'online',
    agentVersion,
    workload,
    ...(configVersion !== undefined ? { configVersion } : {}),
    currentJob,
    ...(clockSkewSeconds !== undefined ? { clockSkewSeconds } : {}),
    ...(freeDiskBytes !== undefined ? { freeDiskBytes } : {}),
    ...(lastTransitions ? { lastTransitions } : {}),
    ...(lastError ? { lastError } : {}),
    reportedAt: new Date(row.reportedAt).toISOString(),
    receivedAt: new Date(row.receivedAt).toISOString(),
  };
}
