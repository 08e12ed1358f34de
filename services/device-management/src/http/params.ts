import { idSchema, uuidSchema } from '@opcfleet/contracts';
import { ApiProperty } from '@nestjs/swagger';
import { MatchesSchema } from './schema-validators';

export class ClientIdParam {
  @ApiProperty({ example: 'press-07' })
  @MatchesSchema(idSchema)
  clientId: string;
}

export class JobIdParam {
  @ApiProperty({ format: 'uuid' })
  @MatchesSchema(uuidSchema)
  id: string;
}
