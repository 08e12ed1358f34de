import { idSchema, versionSchema } from '@opcfleet/contracts';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsLabels, IsOmittable, MatchesSchema } from '../../http/schema-validators';

export class RegisterClientRequestDto {
  @ApiProperty({
    example: 'press-07',
    description: 'Unique within the tenant; used in MQTT topics.',
  })
  @MatchesSchema(idSchema)
  clientId: string;

  @ApiPropertyOptional({
    example: { line: 'A', site: 'plant-1' },
    type: 'object',
    additionalProperties: { type: 'string' },
  })
  @IsOmittable()
  @IsLabels()
  labels?: Record<string, string>;

  @ApiPropertyOptional({ example: '2.0.0', description: 'Workload version the client runs today.' })
  @IsOmittable()
  @MatchesSchema(versionSchema)
  version?: string;
}
