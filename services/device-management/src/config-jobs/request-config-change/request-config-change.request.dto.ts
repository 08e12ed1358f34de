import { ApiProperty } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';
import { IsOpcClientConfig } from '../../http/schema-validators';

export class RequestConfigChangeRequestDto {
  @ApiProperty({
    example: 4,
    description: 'Greater than every version requested before for this client.',
  })
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  version: number;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'OPC client configuration, validated against the schema of libs/contracts.',
  })
  @IsOpcClientConfig()
  settings: Record<string, unknown>;
}
