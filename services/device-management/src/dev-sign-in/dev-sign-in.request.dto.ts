import { idSchema } from '@opcfleet/contracts';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { IsOmittable, MatchesSchema } from '../http/schema-validators';
import { ROLES, type Role } from '../auth/principal';

export class DevSignInRequestDto {
  @ApiProperty({ enum: ROLES })
  @IsIn(ROLES)
  role: Role;

  @ApiPropertyOptional({ example: 'demo', description: 'Tenant of the token (default demo).' })
  @IsOmittable()
  @MatchesSchema(idSchema)
  tenant?: string;
}
