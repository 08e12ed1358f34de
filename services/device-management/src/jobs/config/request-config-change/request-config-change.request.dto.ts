import { ApiProperty } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';
import { IsOpcClientConfig } from '../../../http/schema-validators';

/** A small valid OPC client config: the example of the OpenAPI document. */
export const EXAMPLE_SETTINGS = {
  endpoints: [
    { name: 'plc', url: 'opc.tcp://plc-1:4840', securityMode: 'None', securityPolicy: 'None' },
  ],
  nodes: [
    {
      endpoint: 'plc',
      nodeId: 'ns=2;s=Line1.Temperature',
      samplingIntervalMs: 100,
      publishingIntervalMs: 1000,
    },
  ],
  buffering: { maxMessages: 1000, maxBytes: 1048576, overflowPolicy: 'dropOldest' },
};

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
    description:
      'OPC client configuration, validated against the schema of libs/contracts; unknown fields are refused.',
    example: EXAMPLE_SETTINGS,
  })
  @IsOpcClientConfig()
  settings: Record<string, unknown>;
}
