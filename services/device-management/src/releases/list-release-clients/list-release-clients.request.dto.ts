import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { PageRequestDto } from '../../clients/list-clients/list-clients.request.dto';
import { IsOmittable } from '../../http/schema-validators';
import { RELEASE_CLIENT_STATES, type ReleaseClientState } from '../../read-models/release.dto';

export class ListReleaseClientsRequestDto extends PageRequestDto {
  @ApiPropertyOptional({ enum: RELEASE_CLIENT_STATES, example: 'running' })
  @IsOmittable()
  @IsIn(RELEASE_CLIENT_STATES)
  state?: ReleaseClientState;
}
