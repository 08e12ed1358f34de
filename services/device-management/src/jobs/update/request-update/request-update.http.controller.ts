import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiAcceptedResponse, ApiTags } from '@nestjs/swagger';
import { ClientIdParam } from '../../../http/params';
import { RequestContext } from '../../../http/command-context';
import type { CommandContext } from '../../../shared/domain/domain-event';
import { RequestUpdate, type RequestUpdateResult } from './request-update.command';
import { RequestUpdateByRelease } from './request-update-by-release.command';
import {
  JobAcceptedResponseDto,
  RequestUpdateRequestDto,
  requestedUpdateOf,
} from './request-update.request.dto';
import { ApiEndpoint } from '../../../http/api-docs';

@ApiTags('clients')
@Controller('api/v1/clients')
export class RequestUpdateHttpController {
  constructor(private readonly commandBus: CommandBus) {}

  @Post(':clientId/update')
  @ApiEndpoint({
    summary: "Update a client's software",
    description:
      'Stores an update job and answers at once; the command goes to the device over MQTT next. One update per client at a time. The update is a release of the catalogue (`releaseId`: its image, digest and version; the client must carry its constraint labels, and may not go down a version unless `allowDowngrade`), or an image and `targetVersion` given explicitly.',
    access: 'update',
    body: true,
    errors: {
      400: 'Every failing field; neither or both of `releaseId` and `image`+`targetVersion`.',
      404: 'No such client, or no such release, in your tenant.',
      409: '`update_in_flight`: an update is already in flight for this client (`jobId` names it). By release: `release_withdrawn`; `release_constraints_not_met` (`missingLabels`); `downgrade_refused` (`reportedVersion`).',
    },
  })
  @HttpCode(202)
  @ApiAcceptedResponse({
    type: JobAcceptedResponseDto,
    description: 'The job is stored; it is dispatched over MQTT next.',
  })
  request(
    @Param() { clientId }: ClientIdParam,
    @Body() body: RequestUpdateRequestDto,
    @RequestContext() context: CommandContext,
  ): Promise<RequestUpdateResult> {
    const update = requestedUpdateOf(body);
    return this.commandBus.execute(
      'releaseId' in update
        ? new RequestUpdateByRelease({ context, clientId, ...update })
        : new RequestUpdate({ context, clientId, ...update }),
    );
  }
}
