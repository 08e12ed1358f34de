import { idSchema } from '@opcfleet/contracts';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { PageRequestDto } from '../../clients/list-clients/list-clients.request.dto';
import { IsOmittable, MatchesSchema } from '../../http/schema-validators';

export class ListReleasesRequestDto extends PageRequestDto {
  @ApiPropertyOptional({ example: 'opc-core', description: 'Only the releases of this product' })
  @IsOmittable()
  @MatchesSchema(idSchema)
  product?: string;

  @ApiPropertyOptional({
    enum: ['true', 'false'],
    description: '`true`: only withdrawn releases; `false`: only those still installable',
  })
  @IsOmittable()
  @IsIn(['true', 'false'])
  withdrawn?: 'true' | 'false';
}
