import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** The answer of POST /clients/{id}/credentials: the only time the password is shown. */
export class IssuedDeviceCredentialDto {
  @ApiProperty({ example: 'press-07' }) clientId: string;
  @ApiProperty({ format: 'uuid' }) credentialId: string;
  @ApiProperty({
    example: 'tenants/acme/clients/press-07',
    description: 'MQTT username (EDGE_AGENT_MQTT_USERNAME): the client topic root.',
  })
  username: string;
  @ApiProperty({
    description: 'MQTT password (EDGE_AGENT_MQTT_PASSWORD). Shown once; only a hash is kept.',
  })
  password: string;
  @ApiProperty({ format: 'date-time' }) issuedAt: string;
  @ApiPropertyOptional({
    format: 'uuid',
    description: 'The credential this one rotated out: it stopped working at once.',
  })
  replaces?: string;
}
