import { Controller, Get, Param, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiExtraModels, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import { ApiEndpoint, pageResponse } from '../../http/api-docs';
import type { PageDto } from '../../read-models/read-model.dto';
import { ReleaseClientDto } from '../../read-models/release.dto';
import { ReleaseIdParam } from '../release-id.param';
import { ListReleaseClients } from './list-release-clients.query';
import { ListReleaseClientsRequestDto } from './list-release-clients.request.dto';

@ApiTags('releases')
@ApiExtraModels(ReleaseClientDto)
@Controller('api/v1/releases')
export class ListReleaseClientsHttpController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get(':id/clients')
  @ApiEndpoint({
    summary: "List a release's clients",
    description:
      'Which clients run the release (they report its version and their last succeeded update was by it), which are on the way (a job by it in flight) and which failed to install it, by client id, paged by `cursor`.',
    access: 'read',
    errors: { 400: 'Every failing field.', 404: 'No such release in your tenant.' },
  })
  @ApiOkResponse(
    pageResponse('A page of clients, by id', ReleaseClientDto, {
      clientId: 'press-07',
      state: 'running',
      jobId: '0b0f3c52-5cf1-4a3e-9a51-2f7d0f5c0a11',
      jobStatus: 'Succeeded',
      reportedVersion: '2.1.0',
    }),
  )
  list(
    @Param() { id }: ReleaseIdParam,
    @Query() query: ListReleaseClientsRequestDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<PageDto<ReleaseClientDto>> {
    return this.queryBus.execute(
      new ListReleaseClients({
        tenantId: principal.tenantId,
        releaseId: id,
        ...(query.state ? { state: query.state } : {}),
        limit: query.limit ?? 50,
        ...(query.cursor !== undefined ? { cursor: query.cursor } : {}),
      }),
    );
  }
}
