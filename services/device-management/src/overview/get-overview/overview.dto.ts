import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class CountDto {
  @ApiProperty() key: string;
  @ApiProperty() count: number;
}

export class RecentFailureDto {
  @ApiProperty({ format: 'uuid' }) jobId: string;
  @ApiProperty({ enum: ['update', 'config'] }) kind: string;
  @ApiProperty() clientId: string;
  @ApiProperty() status: string;
  @ApiPropertyOptional() phase?: string;
  @ApiPropertyOptional() reason?: string;
  @ApiPropertyOptional() code?: string;
  @ApiPropertyOptional() finishedAt?: string;
}

export class OverviewDto {
  @ApiProperty() clients: number;
  @ApiProperty({ type: [CountDto], description: 'Clients by status' }) byStatus: CountDto[];
  @ApiProperty({ type: [CountDto], description: 'Clients by running (reported) version' })
  byVersion: CountDto[];
  @ApiProperty({ description: 'Clients whose presence is offline' }) offline: number;
  @ApiProperty({ description: 'Jobs not final yet' }) jobsInFlight: number;
  @ApiProperty({ description: 'Start of the failure window' }) failuresSince: string;
  @ApiProperty({ type: [RecentFailureDto], description: 'Newest first, at most 50' })
  failures: RecentFailureDto[];
}

export const FAILED_JOB_STATUSES = ['Failed', 'RolledBack', 'TimedOut', 'Rejected'];
export const FINAL_JOB_STATUSES = [...FAILED_JOB_STATUSES, 'Succeeded', 'Applied', 'Cancelled'];
