import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsString,
  IsUUID,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { IsOmittable } from '../http/schema-validators';
import { ALERT_KINDS, type AlertKind } from './alert-kinds';
import type { DeliveryStatus } from './alert-store';

export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export const DELIVERIES_PAGE_MAX = 500;

export class CreateAlertSubscriptionRequestDto {
  @ApiProperty({
    description:
      'Where deliveries are POSTed: https (http only to the loopback when the service allows ' +
      'it), without user name or password, not a link-local address',
    example: 'https://alerts.example.com/opcfleet',
    maxLength: 2048,
  })
  @IsString()
  @MaxLength(2048)
  url: string;

  @ApiProperty({
    description: 'The kinds of alert wanted',
    enum: ALERT_KINDS,
    isArray: true,
    example: ['job.failed', 'rollout.halted'],
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(ALERT_KINDS.length)
  @ArrayUnique()
  @IsIn(ALERT_KINDS, { each: true })
  kinds: AlertKind[];

  @ApiPropertyOptional({
    description: '`client.offline`: a client offline (and not seen) this many minutes is alerted',
    default: 10,
    minimum: 1,
    maximum: 10080,
  })
  @IsOmittable()
  @IsInt()
  @Min(1)
  @Max(10080)
  offlineMinutes?: number;
}

export class AlertSubscriptionDto {
  @ApiProperty({ format: 'uuid', example: '7d4b1c52-2a8e-4f0e-9b6f-1e2d3c4b5a69' })
  subscriptionId: string;
  @ApiProperty({ example: 'https://alerts.example.com/opcfleet' }) url: string;
  @ApiProperty({ enum: ALERT_KINDS, isArray: true, example: ['job.failed'] }) kinds: AlertKind[];
  @ApiProperty({ example: 10 }) offlineMinutes: number;
  @ApiProperty({ example: '2026-11-23T10:00:05.123Z' }) createdAt: string;
  @ApiProperty({ example: 'alice@example.com' }) createdBy: string;
}

export class CreatedAlertSubscriptionDto extends AlertSubscriptionDto {
  @ApiProperty({
    description:
      'Signs every delivery (`Opcfleet-Signature`); shown this once, never again: keep it',
    example: 'whsec_9hJ3kq0xY2b7Vt4mN1pQ8rS5uW6zA3cD0eF7gH2iJ4k',
  })
  secret: string;
}

export class AlertSubscriptionListDto {
  @ApiProperty({ type: [AlertSubscriptionDto] }) items: AlertSubscriptionDto[];
}

export class SubscriptionIdParam {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  id: string;
}

export class ListDeliveriesRequestDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Only this subscription' })
  @IsOmittable()
  @IsUUID()
  subscriptionId?: string;

  @ApiPropertyOptional({ enum: DELIVERY_STATUSES })
  @IsOmittable()
  @IsIn(DELIVERY_STATUSES)
  status?: DeliveryStatus;

  @ApiPropertyOptional({ default: 100, minimum: 1, maximum: DELIVERIES_PAGE_MAX })
  @IsOmittable()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(DELIVERIES_PAGE_MAX)
  limit?: number;

  @ApiPropertyOptional({ description: '`nextCursor` of the previous page' })
  @IsOmittable()
  @IsString()
  @MaxLength(256)
  cursor?: string;
}

export class AlertDeliveryDto {
  @ApiProperty({ format: 'uuid', example: '0e8f6c2a-4b1d-4c3e-8f5a-6b7c8d9e0f1a' })
  deliveryId: string;
  @ApiProperty({ format: 'uuid', example: '7d4b1c52-2a8e-4f0e-9b6f-1e2d3c4b5a69' })
  subscriptionId: string;
  @ApiProperty({ enum: ALERT_KINDS, example: 'job.failed' }) kind: AlertKind;
  @ApiProperty({ example: '5b1f0f57-1c1e-4c55-a0a4-0c3b5f0e2d19' }) eventId: string;
  @ApiProperty({ example: 'UpdateFailed' }) eventType: string;
  @ApiProperty({ enum: DELIVERY_STATUSES, example: 'pending' }) status: DeliveryStatus;
  @ApiProperty({ description: 'Attempts made so far', example: 2 }) attempts: number;
  @ApiPropertyOptional({ description: 'When a pending delivery is tried next' })
  nextAttemptAt?: string;
  @ApiPropertyOptional({ description: "The receiver's status at the last attempt", example: 500 })
  lastStatusCode?: number;
  @ApiPropertyOptional({ example: 'HTTP 500' }) lastError?: string;
  @ApiProperty({ example: '2026-11-23T10:00:05.123Z' }) createdAt: string;
  @ApiProperty({ example: '2026-11-23T10:00:35.456Z' }) updatedAt: string;
}

export class AlertDeliveryPageDto {
  @ApiProperty({ type: [AlertDeliveryDto] }) items: AlertDeliveryDto[];
  @ApiPropertyOptional({
    description: 'Pass as `cursor` for the next page; absent on the last page',
  })
  nextCursor?: string;
}
