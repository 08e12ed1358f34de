import { versionSchema } from '@opcfleet/contracts';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsIn, IsInt, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { IsOmittable, MatchesSchema } from '../../http/schema-validators';

export class PageRequestDto {
  @ApiPropertyOptional({ default: 50, minimum: 1, maximum: 200 })
  @IsOmittable()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;

  @ApiPropertyOptional({ description: '`nextCursor` of the previous page' })
  @IsOmittable()
  @IsString()
  @MaxLength(1024)
  cursor?: string;
}

export class ListClientsRequestDto extends PageRequestDto {
  @ApiPropertyOptional({
    description: 'Label filter `name=value`; repeat for several (all must match)',
    example: ['line=A'],
    isArray: true,
    type: String,
  })
  @IsOmittable()
  @Transform(({ value }) => (Array.isArray(value) ? value : [value]))
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}=[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, {
    each: true,
    message: 'label must be name=value',
  })
  label?: string[];

  @ApiPropertyOptional({ enum: ['Online', 'Offline', 'Updating', 'UpdateFailed'] })
  @IsOmittable()
  @IsIn(['Online', 'Offline', 'Updating', 'UpdateFailed'])
  status?: string;

  @ApiPropertyOptional({ description: 'Reported workload version', example: '2.1.0' })
  @IsOmittable()
  @MatchesSchema(versionSchema)
  version?: string;
}
