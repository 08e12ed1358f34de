import { Controller, Get, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import { ApiEndpoint, pageResponse } from '../../http/api-docs';
import type { PageDto } from '../../read-models/read-model.dto';
import { RELEASE_EXAMPLE, ReleaseDto } from '../../read-models/release.dto';
import { ListReleases } from './list-releases.query';
import { ListReleasesRequestDto } from './list-releases.request.dto';

@ApiTags('releases')
@Controller('api/v1/releases')
export class ListReleasesHttpController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get()
  @ApiEndpoint({
    summary: 'List releases',
    description:
      "The tenant's release catalogue, newest first, filtered by product and by withdrawn or not, paged by `cursor`.",
    access: 'read',
    errors: { 400: 'Every failing query field.' },
  })
  @ApiOkResponse(pageResponse('A page of releases, newest first', ReleaseDto, RELEASE_EXAMPLE))
  list(
    @Query() query: ListReleasesRequestDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<PageDto<ReleaseDto>> {
    return this.queryBus.execute(
      new ListReleases({
        tenantId: principal.tenantId,
        ...(query.product !== undefined ? { product: query.product } : {}),
        ...(query.withdrawn !== undefined ? { withdrawn: query.withdrawn === 'true' } : {}),
        limit: query.limit ?? 50,
        ...(query.cursor !== undefined ? { cursor: query.cursor } : {}),
      }),
    );
  }
}
