import { Controller, Get, Param } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import { ApiEndpoint } from '../../http/api-docs';
import { RELEASE_EXAMPLE, ReleaseDto } from '../../read-models/release.dto';
import { ReleaseIdParam } from '../release-id.param';
import { GetRelease } from './get-release.query';

@ApiTags('releases')
@Controller('api/v1/releases')
export class GetReleaseHttpController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get(':id')
  @ApiEndpoint({
    summary: 'Get a release',
    description:
      'One release of the catalogue: its image and digest, notes, constraints, and whether it was withdrawn.',
    access: 'read',
    errors: { 400: 'A failing field (`id`).', 404: 'No such release in your tenant.' },
  })
  @ApiOkResponse({ type: ReleaseDto, example: RELEASE_EXAMPLE })
  get(
    @Param() { id }: ReleaseIdParam,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ReleaseDto> {
    return this.queryBus.execute(new GetRelease(principal.tenantId, id));
  }
}
